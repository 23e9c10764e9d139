using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Bollard.Core.Jobs;

/// <summary>
/// A thread of its own for a long background job whose steps block (SQLite calls are synchronous, commits wait for
/// fsync, file deletes wait for the disk), so that the job never holds one of the thread pool's few threads (two on a
/// 2-core machine) that serve requests. <c>await thread.SwitchTo()</c> moves the rest of an async method here; an
/// await that really waits (a contended lock, a pause) resumes on the thread pool, so a job switches back at each of
/// its batch boundaries. The thread ends once disposed and idle. Not a scheduler for many jobs: one owner at a time.
/// </summary>
public sealed class DedicatedThread : IDisposable
{
    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread _thread;
    private int _disposed;

    /// <param name="name">The thread's name (seen in dumps and <c>top -H</c>).</param>
    /// <param name="onStart">Run first on the new thread (e.g. to lower its CPU priority); a failure there is ignored.</param>
    public DedicatedThread(string name, Action? onStart = null)
    {
        _thread = new Thread(() => Loop(onStart)) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>True when the caller runs on this thread.</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>Awaited, continues the calling method on this thread (at once when it already runs here).</summary>
    public SwitchAwaitable SwitchTo() => new(this);

    /// <summary>No more work is accepted; the thread ends after what is queued. Continuations posted after this run on the thread pool.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _queue.CompleteAdding();
    }

    private void Post(Action continuation)
    {
        try
        {
            _queue.Add(continuation);
            return;
        }
        catch (InvalidOperationException)
        {
            // Disposed (CompleteAdding): the work still has to run somewhere.
        }
        ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
    }

    private void Loop(Action? onStart)
    {
        try
        {
            onStart?.Invoke();
        }
        catch (Exception)
        {
            // Only a tuning step (priority): the work runs the same without it.
        }
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            try
            {
                work();
            }
            catch (Exception)
            {
                // Continuations of async methods never throw (their exceptions end up in their tasks); anything else
                // posted here must not end the process either.
            }
        }
        _queue.Dispose();
    }

    public readonly struct SwitchAwaitable(DedicatedThread thread)
    {
        public SwitchAwaiter GetAwaiter() => new(thread);
    }

    public readonly struct SwitchAwaiter(DedicatedThread thread) : ICriticalNotifyCompletion
    {
        public bool IsCompleted => thread.IsCurrent;

        public void GetResult() { }

        public void OnCompleted(Action continuation)
        {
            var context = ExecutionContext.Capture();
            thread.Post(context is null ? continuation : () => ExecutionContext.Run(context, static c => ((Action)c!)(), continuation));
        }

        // The async method builder restores the method's ExecutionContext itself.
        public void UnsafeOnCompleted(Action continuation) => thread.Post(continuation);
    }
}
