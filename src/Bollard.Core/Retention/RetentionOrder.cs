namespace Bollard.Core.Retention;

/// <summary>Which tags "keep the last N" keeps.</summary>
public enum RetentionOrder
{
    /// <summary>The N most recently pushed (the time the tag was created or last moved).</summary>
    Pushed,

    /// <summary>
    /// The N most recently pulled. A tag's last use is its last pull (GET or HEAD by tag) since it points at its
    /// current manifest, or its push when it was pushed later (so a tag pushed a minute ago is not the first to go).
    /// </summary>
    Pulled,
}
