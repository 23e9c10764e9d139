using System.Text;
using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.Core.Usage;
using Bollard.Core.Usage.Quotas;

namespace Bollard.Storage.Tests.Contracts;

/// <summary>Storage usage and quotas (issue 7): the backend's incremental numbers equal a recount from scratch.</summary>
public abstract partial class MetadataStoreContractTests
{
    protected abstract IUsageStore Usage { get; }
    protected abstract IQuotaStore Quotas { get; }

    private static readonly string[] UsageRepos = ["a/x", "a/y", "a/deep/z", "b/w", "c"];
    private static readonly string[] QuotaPatterns = ["a/**", "**", "*/y", "b/*", "nothing/**"];

    /// <summary>What the test did, from which usage is recounted by its definition.</summary>
    private sealed class UsageModel
    {
        public Dictionary<string, Dictionary<Digest, long>> Blobs { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Dictionary<Digest, long>> Manifests { get; } = new(StringComparer.Ordinal);

        public StorageUsage Of(Func<string, bool> inScope)
        {
            var blobs = new Dictionary<Digest, long>();
            var outside = new HashSet<Digest>();
            long manifestBytes = 0, manifests = 0;
            foreach (var (repo, links) in Blobs)
            {
                if (!inScope(repo)) { outside.UnionWith(links.Keys); continue; }
                foreach (var (d, size) in links) blobs[d] = size;
                manifestBytes += Manifests[repo].Values.Sum();
                manifests += Manifests[repo].Count;
            }
            long total = blobs.Values.Sum(), unique = blobs.Where(b => !outside.Contains(b.Key)).Sum(b => b.Value);
            return new StorageUsage(total + manifestBytes, unique + manifestBytes, manifestBytes, manifests, blobs.Count);
        }
    }

    private async Task AssertUsageAsync(UsageModel model, IReadOnlySet<string> quotas, string step)
    {
        foreach (var repo in UsageRepos)
        {
            var actual = await Usage.GetRepositoryAsync(RepositoryName.Parse(repo), default);
            var expected = model.Blobs.ContainsKey(repo) ? model.Of(r => r == repo) : null;
            Assert.True(expected == actual, $"{step}: repository {repo}: expected {expected}, got {actual}");
        }
        var namespaces = model.Blobs.Keys.Select(r => UsageNamespaces.Of(RepositoryName.Parse(r))).Distinct().Order(StringComparer.Ordinal)
            .Select(ns => new NamespaceUsage(ns, model.Of(r => UsageNamespaces.Of(RepositoryName.Parse(r)) == ns))).ToList();
        var actualNamespaces = await Usage.ListNamespacesAsync(default);
        Assert.True(namespaces.SequenceEqual(actualNamespaces), $"{step}: namespaces: expected {string.Join(", ", namespaces)}, got {string.Join(", ", actualNamespaces)}");
        Assert.Equal(model.Of(_ => true), await Usage.GetRegistryAsync(default));
        var expectedQuotas = quotas.Order(StringComparer.Ordinal).Select(p => (p, model.Of(NamespacePattern.Parse(p).Matches))).ToList();
        var actualQuotas = (await Quotas.ListAsync(default)).Select(q => (q.Pattern.Value, q.Usage)).ToList();
        Assert.True(expectedQuotas.SequenceEqual(actualQuotas), $"{step}: quotas: expected {string.Join(", ", expectedQuotas)}, got {string.Join(", ", actualQuotas)}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Usage_OverRandomLinksManifestsDeletesAndQuotas_EqualsARecount(int seed)
    {
        var random = new Random(seed);
        var model = new UsageModel();
        var quotas = new HashSet<string>(StringComparer.Ordinal);
        var pool = Enumerable.Range(0, 10).Select(i => (Digest: D($"usage-blob-{i}"), Size: 100L * (i + 1) + i)).ToArray();
        for (int step = 0; step < 150; step++)
        {
            string repo = UsageRepos[random.Next(UsageRepos.Length)];
            var name = RepositoryName.Parse(repo);
            int op = random.Next(100);
            string what;
            if (op >= 95)
            {
                string pattern = QuotaPatterns[random.Next(QuotaPatterns.Length)];
                what = $"quota {pattern}";
                // Quotas change outside a registry unit of work.
                if (quotas.Add(pattern)) Assert.True(await Quotas.SetAsync(NamespacePattern.Parse(pattern), 1000, default));
                else if (random.Next(2) == 0) { Assert.True(await Quotas.RemoveAsync(NamespacePattern.Parse(pattern), default)); quotas.Remove(pattern); }
                else Assert.False(await Quotas.SetAsync(NamespacePattern.Parse(pattern), 2000, default));
                await AssertUsageAsync(model, quotas, $"step {step}: {what}");
                continue;
            }
            await using (var tx = await Metadata.BeginWriteAsync(default))
            {
                if (op < 40)
                {
                    var (d, size) = pool[random.Next(pool.Length)];
                    what = $"link {d} into {repo}";
                    await tx.EnsureRepositoryAsync(name, default);
                    await tx.LinkBlobAsync(name, d, size, default);
                    model.Blobs.TryAdd(repo, []);
                    model.Manifests.TryAdd(repo, []);
                    model.Blobs[repo][d] = size;
                }
                else if (op < 55 && model.Blobs.TryGetValue(repo, out var links) && links.Count > 0)
                {
                    var d = links.Keys.ElementAt(random.Next(links.Count));
                    what = $"unlink {d} from {repo}";
                    Assert.True(await tx.UnlinkBlobAsync(name, d, default));
                    links.Remove(d);
                }
                else if (op < 75 && model.Blobs.TryGetValue(repo, out var have))
                {
                    string content = $"manifest-{random.Next(8)}-{new string('x', random.Next(50))}";
                    var m = new ManifestRecord(D(content), MediaTypes.OciManifest, Encoding.UTF8.GetBytes(content), null, null, null, DateTimeOffset.UtcNow);
                    what = $"put manifest {m.Digest} in {repo}";
                    if (await tx.PutManifestAsync(name, m, have.Keys.Take(2).ToList(), [], default)) model.Manifests[repo][m.Digest] = m.Size;
                }
                else if (op < 85 && model.Manifests.TryGetValue(repo, out var ms) && ms.Count > 0)
                {
                    var d = ms.Keys.ElementAt(random.Next(ms.Count));
                    what = $"delete manifest {d} from {repo}";
                    Assert.True(await tx.DeleteManifestAsync(name, d, default));
                    ms.Remove(d);
                }
                else if (op < 90 && model.Blobs.ContainsKey(repo))
                {
                    what = $"delete repository {repo}";
                    Assert.True(await tx.DeleteRepositoryAsync(name, default));
                    model.Blobs.Remove(repo);
                    model.Manifests.Remove(repo);
                }
                else if (op < 95)
                {
                    // A transaction that is not committed changes nothing.
                    var (d, size) = pool[random.Next(pool.Length)];
                    what = $"rolled back link {d} into {repo}";
                    await tx.EnsureRepositoryAsync(name, default);
                    await tx.LinkBlobAsync(name, d, size, default);
                    continue;
                }
                else continue;
                await tx.CommitAsync(default);
            }
            await AssertUsageAsync(model, quotas, $"step {step}: {what}");
        }
    }

    [Fact]
    public async Task Quotas_OfARepository_SeeTheTransactionsOwnWrites_AndMatchNamesNotCreatedYet()
    {
        Assert.True(await Quotas.SetAsync(NamespacePattern.Parse("team/**"), 5000, default));
        Assert.True(await Quotas.SetAsync(NamespacePattern.Parse("**"), 9000, default));
        Assert.True(await Quotas.SetAsync(NamespacePattern.Parse("other/**"), 1, default));
        await using var tx = await Metadata.BeginWriteAsync(default);
        var before = await tx.QuotasOfAsync(Repo, default); // team/app does not exist yet
        Assert.Equal(["**", "team/**"], before.Select(q => q.Pattern.Value));
        Assert.All(before, q => Assert.Equal(StorageUsage.Empty, q.Usage));
        await tx.EnsureRepositoryAsync(Repo, default);
        await tx.LinkBlobAsync(Repo, D("q-layer"), 1234, default);
        var after = await tx.QuotasOfAsync(Repo, default);
        Assert.Equal([(("**", 9000L)), ("team/**", 5000L)], after.Select(q => (q.Pattern.Value, q.LimitBytes)));
        Assert.All(after, q => Assert.Equal(1234, q.Usage.TotalBytes));
    }
}
