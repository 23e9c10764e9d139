using Bollard.Core.Jobs;

namespace Bollard.Core.Mirror.Sync;

/// <summary>A sync job as the API shows it: the job, what it was asked, how far it got, and its transfer rate.</summary>
/// <param name="Progress">Null until the job started.</param>
/// <param name="Rate">Bytes fetched per second since it started (0 until then).</param>
/// <param name="Eta">Estimated time left; null when unknown or ended.</param>
public sealed record MirrorSyncStatus(JobRecord Job, MirrorSyncRequest Request, MirrorSyncProgress? Progress, double Rate, TimeSpan? Eta);
