using Bollard.Core.Jobs;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// A sync that cannot succeed as asked (no such manifest upstream, no such platform): the message is for the person who
/// asked, and the job fails at once (<see cref="IPermanentJobFailure"/>: a retry would only ask the upstream again for
/// the same answer, while the CLI waits).
/// </summary>
public sealed class MirrorSyncException : Exception, IPermanentJobFailure
{
    public MirrorSyncException() : base("the sync failed") { }

    public MirrorSyncException(string message) : base(message) { }

    public MirrorSyncException(string message, Exception inner) : base(message, inner) { }
}
