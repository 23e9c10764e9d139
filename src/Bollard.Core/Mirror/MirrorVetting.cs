using Bollard.Core.Auth;
using Bollard.Core.Immutability;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// What may come in from an upstream (issue 10 "vetting"): its repository allow and deny patterns, tag patterns and
/// denied digests. A deny wins over an allow; an empty allow list allows all. Only what is fetched is judged: content
/// already in the cache stays served until an admin removes it. Built once per upstream (patterns parsed at start, so a
/// bad pattern is a configuration error, see <see cref="Validate"/>).
/// </summary>
public sealed class MirrorVetting
{
    private readonly NamespacePattern[] _allowRepositories, _denyRepositories;
    private readonly TagPattern[] _allowTags, _denyTags;
    private readonly HashSet<string> _denyDigests;

    public MirrorVetting(UpstreamOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        _allowRepositories = upstream.AllowRepositories.Select(NamespacePattern.Parse).ToArray();
        _denyRepositories = upstream.DenyRepositories.Select(NamespacePattern.Parse).ToArray();
        _allowTags = upstream.AllowTags.Select(TagPattern.Parse).ToArray();
        _denyTags = upstream.DenyTags.Select(TagPattern.Parse).ToArray();
        _denyDigests = upstream.DenyDigests.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The problems of an upstream's lists, one line each (empty when they are fine).</summary>
    public static IReadOnlyList<string> Validate(UpstreamOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var problems = new List<string>();
        foreach (var p in upstream.AllowRepositories.Concat(upstream.DenyRepositories))
            if (!NamespacePattern.TryParse(p, out _, out var why)) problems.Add($"repository pattern '{p}': {why}");
        foreach (var p in upstream.AllowTags.Concat(upstream.DenyTags))
            if (!TagPattern.TryParse(p, out _, out var why)) problems.Add($"tag pattern '{p}': {why}");
        foreach (var d in upstream.DenyDigests)
            if (!Digest.TryParse(d, out _)) problems.Add($"'{d}' is not a digest (sha256:<64 hex>)");
        return problems;
    }

    /// <returns>null when the upstream repository may come in, else why not.</returns>
    public string? CheckRepository(string upstreamRepository)
    {
        if (_denyRepositories.FirstOrDefault(p => p.Matches(upstreamRepository)) is { } denied)
            return $"repository {upstreamRepository} is denied by the mirror's deny list ({denied})";
        if (_allowRepositories.Length > 0 && !_allowRepositories.Any(p => p.Matches(upstreamRepository)))
            return $"repository {upstreamRepository} is not on the mirror's allow list ({string.Join(", ", _allowRepositories.Select(p => p.Value))})";
        return null;
    }

    /// <returns>null when the tag may come in, else why not. Cosign-scheme tags (signatures) follow their image, never the tag lists.</returns>
    public string? CheckTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (Registry.ManifestService.IsCosignSchemeTag(tag)) return null;
        if (_denyTags.FirstOrDefault(p => p.Matches(tag)) is { } denied) return $"tag {tag} is denied by the mirror's deny list ({denied})";
        if (_allowTags.Length > 0 && !_allowTags.Any(p => p.Matches(tag)))
            return $"tag {tag} is not on the mirror's allow list ({string.Join(", ", _allowTags.Select(p => p.Value))})";
        return null;
    }

    /// <returns>null when the manifest or blob may come in, else why not.</returns>
    public string? CheckDigest(Digest digest) =>
        _denyDigests.Contains(digest.ToString()) ? $"{digest} is denied by the mirror's deny list" : null;
}
