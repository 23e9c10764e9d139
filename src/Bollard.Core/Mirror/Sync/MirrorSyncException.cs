namespace Bollard.Core.Mirror.Sync;

/// <summary>A sync that cannot succeed as asked (no such manifest upstream, no such platform): the message is for the person who asked.</summary>
public sealed class MirrorSyncException : Exception
{
    public MirrorSyncException() : base("the sync failed") { }

    public MirrorSyncException(string message) : base(message) { }

    public MirrorSyncException(string message, Exception inner) : base(message, inner) { }
}
