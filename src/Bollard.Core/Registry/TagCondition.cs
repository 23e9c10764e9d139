using Bollard.Core.Oci;

namespace Bollard.Core.Registry;

/// <summary>
/// A precondition on a manifest PUT (RFC 9110 §13.1.1 <c>If-Match</c>, §13.1.2 <c>If-None-Match</c>), checked inside the
/// manifest transaction against where the reference points now: for a tag, the tag's target; for a digest, the digest
/// when that manifest is stored. This is what makes read-modify-write of a tag atomic (appending a layer to a cosign
/// <c>sha256-&lt;hex&gt;.sig</c> manifest): the writer says which manifest it modified, and a PUT after someone else moved
/// the tag is refused with <see cref="OciErrors.PreconditionFailed"/> (412) instead of losing their change.
/// </summary>
public sealed record TagCondition
{
    /// <summary>The reference must point at one of these now (<c>If-Match: "sha256:…"</c>, the manifest's ETag).</summary>
    public IReadOnlyList<Digest> IfMatch { get; init; } = [];

    /// <summary>The reference must exist, wherever it points (<c>If-Match: *</c>).</summary>
    public bool IfExists { get; init; }

    /// <summary>The reference must not exist (<c>If-None-Match: *</c>): creates a tag, never moves one.</summary>
    public bool IfAbsent { get; init; }

    /// <summary>The reference must not point at any of these (<c>If-None-Match: "sha256:…"</c>).</summary>
    public IReadOnlyList<Digest> IfNoneMatch { get; init; } = [];

    /// <summary>An If-Match whose entity tags can match no manifest (weak or not a quoted digest): always fails.</summary>
    public bool MatchesNothing { get; init; }

    /// <summary>If-Match the one manifest the writer read and modified.</summary>
    public static TagCondition Matching(Digest current) => new() { IfMatch = [current] };

    /// <summary>If-None-Match: *.</summary>
    public static TagCondition Absent { get; } = new() { IfAbsent = true };

    /// <returns>null when the condition holds for <paramref name="current"/>; else why not (for the 412's detail).</returns>
    public string? Check(Digest? current)
    {
        if (MatchesNothing) return "If-Match names no manifest digest (expected \"sha256:…\", the manifest's ETag)";
        if (IfAbsent && current is not null) return $"it exists (points at {current})";
        if (IfExists && current is null) return "it does not exist";
        if (IfMatch.Count > 0 && (current is null || !IfMatch.Contains(current.Value)))
            return current is null ? $"it does not exist (expected {IfMatch[0]})" : $"it points at {current}, not {IfMatch[0]}";
        if (current is { } c && IfNoneMatch.Contains(c)) return $"it points at {c}";
        return null;
    }

    /// <summary>
    /// Reads the request headers (each a comma-separated list of entity tags or <c>*</c>; weak tags never match, RFC 9110
    /// uses the strong comparison for If-Match). An entity tag that is not a quoted digest matches no manifest.
    /// </summary>
    /// <returns>null when neither header is present.</returns>
    public static TagCondition? FromHeaders(IEnumerable<string?> ifMatch, IEnumerable<string?> ifNoneMatch)
    {
        ArgumentNullException.ThrowIfNull(ifMatch);
        ArgumentNullException.ThrowIfNull(ifNoneMatch);
        var (matchAny, match, matchPresent) = Parse(ifMatch);
        var (noneAny, none, nonePresent) = Parse(ifNoneMatch);
        if (!matchPresent && !nonePresent) return null;
        return new TagCondition
        {
            IfExists = matchAny,
            IfMatch = match,
            // Present but naming nothing that can match (only weak or malformed tags): a condition that fails.
            MatchesNothing = matchPresent && !matchAny && match.Count == 0,
            IfAbsent = noneAny,
            IfNoneMatch = none,
        };
    }

    private static (bool Any, List<Digest> Digests, bool Present) Parse(IEnumerable<string?> values)
    {
        bool any = false, present = false;
        var digests = new List<Digest>();
        foreach (var value in values)
        {
            if (value is null) continue;
            foreach (var raw in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                present = true;
                if (digests.Count >= 16) continue; // a bounded list: more tags than any client sends is not a reason to do more work
                if (raw == "*") { any = true; continue; }
                if (raw.Length < 2 || raw[0] != '"' || raw[^1] != '"') continue; // W/"…" (weak) or garbage: never matches
                if (Digest.TryParse(raw[1..^1], out var d)) digests.Add(d);
            }
        }
        return (any, digests, present);
    }
}
