using System.Text;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;
using Bollard.Core.Tests.Auth;
using Bollard.Core.Tests.Support;

namespace Bollard.Core.Tests.Registry;

/// <summary>Repository delete over in-memory metadata: batches for a large repository, and a refusal that deletes nothing.</summary>
public sealed class RepositoryServiceTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/big");
    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryMetadataStore _store = new();
    private readonly InMemoryUploadStore _uploads = new();
    private readonly List<IPushCheck> _checks = [];

    private RepositoryService Service() =>
        new(_store, _checks, new BlobService(new InMemoryBlobStore(_time), _store, _uploads, _store, new Support.InMemoryBlobPins(), new RegistryOptions(), _time), _time);

    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    /// <summary>Manifests m0..m(n-1), each with its own blob; every third one tagged t{i}.</summary>
    private async Task FillAsync(int manifests)
    {
        await using var tx = await _store.BeginWriteAsync(default);
        await tx.EnsureRepositoryAsync(Repo, default);
        for (int i = 0; i < manifests; i++)
        {
            var blob = D($"blob{i}");
            await tx.LinkBlobAsync(Repo, blob, 10, default);
            var m = new ManifestRecord(D($"m{i}"), MediaTypes.OciManifest, Encoding.UTF8.GetBytes($"m{i}"), null, null, null, _time.GetUtcNow());
            await tx.PutManifestAsync(Repo, m, [blob], [], default);
            if (i % 3 == 0) await tx.SetTagAsync(Repo, $"t{i}", m.Digest, default);
        }
        await tx.CommitAsync(default);
    }

    [Fact]
    public async Task Delete_LargerThanABatch_TakesSeveralTransactions_AndRemovesEverything_RepositoryDeletedLast()
    {
        int n = RepositoryService.BatchSize * 2 + 7;
        await FillAsync(n);
        int begun = _store.WriteTransactionsBegun;
        var deleted = await Service().DeleteAsync(Repo, RegistryActor.Unknown, default);

        Assert.Equal(new RepositoryDeletion((n + 2) / 3, n, n, 0), deleted);
        Assert.True(_store.WriteTransactionsBegun - begun > 2, "deleted in batches");
        Assert.False(await _store.ExistsAsync(Repo, default));
        var events = _store.AllEvents.Where(e => e.Repository == Repo).ToList();
        Assert.Equal(RegistryEventKind.RepositoryDeleted, events[^1].Kind);
        Assert.Equal(n, events.Count(e => e.Kind == RegistryEventKind.ManifestDeleted));
        Assert.Equal(n, events.Count(e => e.Kind == RegistryEventKind.BlobDeleted));
        Assert.Equal((n + 2) / 3, events.Count(e => e.Kind == RegistryEventKind.TagDeleted && e.Detail == RegistryEvent.CascadeDetail));
    }

    [Fact]
    public async Task Delete_LargerThanABatch_RefusedForTheLastTag_DeletesNothing()
    {
        int n = RepositoryService.BatchSize + 50;
        await FillAsync(n);
        // The highest digest is checked last, after more than a batch of allowed ones.
        string last = Enumerable.Range(0, n).Where(i => i % 3 == 0).Select(i => (Tag: $"t{i}", Digest: D($"m{i}").ToString())).MaxBy(x => x.Digest, StringComparer.Ordinal).Tag;
        _checks.Add(new RefuseTag(last));
        long head = await _store.HeadAsync(default);

        var e = await Assert.ThrowsAsync<OciException>(() => Service().DeleteAsync(Repo, RegistryActor.Unknown, default));
        Assert.Equal(OciErrors.Denied, e.Error);
        Assert.Equal($"{last} is protected", e.Detail);
        Assert.Equal(head, await _store.HeadAsync(default));
        Assert.Equal((n + 2) / 3, (await _store.ListTagsAsync(Repo, null, 10_000, default)).Count);
        await using var tx = await _store.BeginWriteAsync(default);
        Assert.Equal(n, (await tx.ListManifestsAsync(Repo, null, 10_000, default)).Count);
        Assert.Equal(n, (await tx.ListBlobLinksAsync(Repo, null, 10_000, default)).Count);
    }

    [Fact]
    public async Task Delete_UnknownRepository_NameUnknown()
    {
        var e = await Assert.ThrowsAsync<OciException>(() => Service().DeleteAsync(RepositoryName.Parse("no/such"), RegistryActor.Unknown, default));
        Assert.Equal(OciErrors.NameUnknown, e.Error);
    }

    private sealed class RefuseTag(string tag) : IPushCheck
    {
        public ValueTask<PushCheckResult> CheckAsync(PushCheckContext context, CancellationToken ct) =>
            new(context.Change == RegistryChange.DeleteRepository && context.Tag == tag ? PushCheckResult.Refuse($"{tag} is protected") : PushCheckResult.Allow);
    }
}
