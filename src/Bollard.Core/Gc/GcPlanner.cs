using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>
/// The mark phase of GC for one repository, a pure function of its metadata snapshot (so a dry run and a real run
/// on the same state plan the same removals).
/// <list type="number">
/// <item>Roots (kept for themselves): anything younger than the grace period; a manifest with a tag other than a
/// cosign tag (<c>sha256-&lt;hex&gt;.sig|.att|.sbom</c>) whose own subject, if it has one, is present; an untagged
/// manifest without subject that <see cref="IUntaggedManifestPolicy"/> keeps (no retention, or untagged for less).</item>
/// <item>Kept by reachability from a kept manifest: the children of an index, its referrers (manifests whose
/// <c>subject</c> it is), the manifests cosign tags name it in, and its own subject (a kept referrer keeps it).</item>
/// <item>Everything else is garbage: untagged manifests past the policy, referrers whose subject is gone (or is
/// garbage), manifests kept only by cosign tags of a gone subject. Ordered so that an index goes before its children
/// and a subject before its referrers.</item>
/// <item>Links no kept manifest references: removable when older than the grace (counted from when it was linked or
/// last released), or, with a zero grace, when only manifests deleted by this run referenced them.</item>
/// </list>
/// </summary>
public static class GcPlanner
{
    public static GcRepositoryPlan Plan(GcRepositorySnapshot snapshot, TimeSpan? untaggedRetention, DateTimeOffset now, TimeSpan grace)
    {
        var dead = Mark(snapshot, untaggedRetention, now, grace);
        var deletions = Order(snapshot, dead);
        return new GcRepositoryPlan(snapshot.Repository, deletions, PlanLinks(snapshot, deletions.Select(d => d.Digest).ToHashSet(), now, grace));
    }

    /// <summary>The links to remove once <paramref name="deleted"/> are gone (the plan's deletions minus those a refusal kept).</summary>
    public static IReadOnlyList<GcLink> PlanLinks(GcRepositorySnapshot snapshot, IReadOnlySet<Digest> deleted, DateTimeOffset now, TimeSpan grace)
    {
        var cutoff = now - grace;
        var stillUsed = new HashSet<Digest>();
        var releasedNow = new HashSet<Digest>();
        foreach (var m in snapshot.Manifests)
            foreach (var b in m.Blobs)
                (deleted.Contains(m.Digest) ? releasedNow : stillUsed).Add(b);
        return snapshot.Links
            .Where(l => !stillUsed.Contains(l.Digest) && (releasedNow.Contains(l.Digest) ? grace == TimeSpan.Zero : l.Since <= cutoff))
            .OrderBy(l => l.Digest.ToString(), StringComparer.Ordinal)
            .ToList();
    }

    /// <returns>The subject a cosign tag-scheme tag names (<c>sha256-&lt;hex&gt;[.suffix]</c>), or null for any other tag.</returns>
    public static Digest? CosignSubject(string tag)
    {
        int dash = tag.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0) return null;
        var rest = tag.AsSpan(dash + 1);
        int dot = rest.IndexOf('.');
        var hex = dot < 0 ? rest : rest[..dot];
        return Digest.TryParse($"{tag[..dash]}:{hex}", out var digest) ? digest : null;
    }

    private static HashSet<Digest> Mark(GcRepositorySnapshot snapshot, TimeSpan? untaggedRetention, DateTimeOffset now, TimeSpan grace)
    {
        var cutoff = now - grace;
        var byDigest = snapshot.Manifests.ToDictionary(m => m.Digest);
        var referrers = new Dictionary<Digest, List<Digest>>();
        var signatures = new Dictionary<Digest, List<Digest>>();
        var live = new HashSet<Digest>();
        var queue = new Queue<Digest>();
        void Keep(Digest d)
        {
            if (byDigest.ContainsKey(d) && live.Add(d)) queue.Enqueue(d);
        }
        foreach (var m in snapshot.Manifests)
        {
            if (m.Subject is { } s) Add(referrers, s, m.Digest);
            foreach (var tag in m.Tags)
                if (CosignSubject(tag) is { } signed) Add(signatures, signed, m.Digest);
        }
        foreach (var m in snapshot.Manifests)
        {
            bool plainTag = m.Tags.Any(t => CosignSubject(t) is null);
            bool root = m.CreatedAt > cutoff
                || (m.Subject is { } s ? plainTag && byDigest.ContainsKey(s)
                    : plainTag || (m.Tags.Count == 0 && KeptUntagged(m, untaggedRetention, now)));
            if (root) Keep(m.Digest);
        }
        while (queue.TryDequeue(out var d))
        {
            var m = byDigest[d];
            foreach (var child in m.Children) Keep(child);
            if (m.Subject is { } s) Keep(s);
            if (referrers.TryGetValue(d, out var rs)) foreach (var r in rs) Keep(r);
            if (signatures.TryGetValue(d, out var ss)) foreach (var sig in ss) Keep(sig);
        }
        return snapshot.Manifests.Select(m => m.Digest).Where(d => !live.Contains(d)).ToHashSet();
    }

    private static bool KeptUntagged(GcManifest m, TimeSpan? retention, DateTimeOffset now) =>
        retention is not { } keep || m.UntaggedAt is not { } since || since > now - keep;

    /// <summary>Parents (indexes) before children, subjects before referrers and signatures; ties by digest.</summary>
    private static List<GcManifestDeletion> Order(GcRepositorySnapshot snapshot, HashSet<Digest> dead)
    {
        var byDigest = snapshot.Manifests.ToDictionary(m => m.Digest);
        var before = new Dictionary<Digest, List<Digest>>(); // digest -> dead manifests that must go first
        foreach (var d in dead)
        {
            var m = byDigest[d];
            foreach (var child in m.Children.Where(dead.Contains)) Add(before, child, d);
            if (m.Subject is { } s && dead.Contains(s)) Add(before, d, s);
            foreach (var tag in m.Tags)
                if (CosignSubject(tag) is { } signed && dead.Contains(signed) && signed != d) Add(before, d, signed);
        }
        var done = new HashSet<Digest>();
        var result = new List<GcManifestDeletion>(dead.Count);
        var pending = dead.OrderBy(d => d.ToString(), StringComparer.Ordinal).ToList();
        while (pending.Count > 0)
        {
            var ready = pending.Where(d => !before.TryGetValue(d, out var first) || first.All(done.Contains)).ToList();
            if (ready.Count == 0) ready = pending; // a cycle cannot happen with digests; stay total anyway
            foreach (var d in ready)
            {
                var m = byDigest[d];
                var gone = new List<Digest>();
                if (m.Subject is { } s) gone.Add(s);
                foreach (var tag in m.Tags)
                    if (CosignSubject(tag) is { } signed && signed != d) gone.Add(signed);
                string reason = m.Subject is not null ? "subject gone"
                    : m.Tags.Count > 0 ? "signature subject gone" : "untagged";
                result.Add(new GcManifestDeletion(d, m.Tags, gone.Distinct().ToList(),
                    before.TryGetValue(d, out var deps) ? deps.Distinct().ToList() : [], m.Blobs, reason));
                done.Add(d);
            }
            pending = pending.Where(d => !done.Contains(d)).ToList();
        }
        return result;
    }

    private static void Add(Dictionary<Digest, List<Digest>> map, Digest key, Digest value)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }
}
