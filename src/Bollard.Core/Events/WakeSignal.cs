namespace Bollard.Core.Events;

/// <summary>
/// Wakes a background loop when something it polls for changed in this process, so it does not wait for its next
/// poll. Each loop has its own sealed subclass (a DI singleton of its own). Thread-safe.
/// </summary>
public abstract class WakeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Notify"/>. Take it before looking, so a change in between is not missed.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
