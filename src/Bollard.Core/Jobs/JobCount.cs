namespace Bollard.Core.Jobs;

/// <summary>The number of jobs of one kind in one state.</summary>
public sealed record JobCount(string Kind, JobState State, long Count);
