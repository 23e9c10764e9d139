namespace Bollard.Core.Events;

/// <summary>
/// Wakes the <see cref="RegistryEventDispatcher"/> when a metadata transaction with events commits in this process,
/// so delivery does not wait for the next poll. Other nodes' commits are found by polling (PostgreSQL could feed
/// this from <c>LISTEN/NOTIFY</c>). Thread-safe.
/// </summary>
public sealed class RegistryEventSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Notify"/>. Take it before reading, so a commit in between is not missed.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
