namespace Bollard.Core.Jobs;

/// <summary>The outcome of a unique enqueue: the new job, or the active (queued or running) one that already holds the key.</summary>
/// <param name="Id">The job's id (new or existing).</param>
/// <param name="Created">false when a job with the same unique key was already queued or running.</param>
public readonly record struct JobEnqueueResult(long Id, bool Created);
