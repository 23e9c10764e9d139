namespace Bollard.Core.Jobs;

/// <summary>What <see cref="IJobStore.EnqueueIfDueAsync"/> did.</summary>
/// <param name="Job">The run it enqueued (or the active one it found when the schedule was due); null when not due.</param>
/// <param name="NextDueAt">When the schedule is due next (after this call).</param>
public readonly record struct ScheduleResult(JobEnqueueResult? Job, DateTimeOffset NextDueAt);
