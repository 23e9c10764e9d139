using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;
using Bollard.Core.Tests.Support;

namespace Bollard.Core.Tests.Retention;

/// <summary>Retention deletes a tag only while it points at the manifest the plan saw.</summary>
public sealed class ExpectedTagTargetTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");

    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task DeleteByTag_WithAnotherExpectedTarget_IsManifestUnknown_AndTheTagStays()
    {
        var store = new InMemoryMetadataStore();
        await using (var tx = await store.BeginWriteAsync(default))
        {
            await tx.EnsureRepositoryAsync(Repo, default);
            await tx.PutManifestAsync(Repo, new ManifestRecord(D("a"), MediaTypes.OciManifest, [1], null, null, null, DateTimeOffset.UnixEpoch), [], [], default);
            await tx.SetTagAsync(Repo, "t", D("a"), default);
            await tx.CommitAsync(default);
        }
        var service = new ManifestService(store, store, store, new StoredManifestReader(store), Array.Empty<IPushCheck>(), new AllowAllPullGate(), new RegistryOptions(), TimeProvider.System);
        var tag = new Reference("t", null);

        var e = await Assert.ThrowsAsync<OciException>(() => service.DeleteAsync(Repo, tag, D("b"), RegistryActor.Unknown, default));
        Assert.Equal(OciErrors.ManifestUnknown, e.Error);
        await using (var tx = await store.BeginWriteAsync(default))
            Assert.Equal(D("a"), await tx.GetTagAsync(Repo, "t", default));

        await service.DeleteAsync(Repo, tag, D("a"), RegistryActor.Unknown, default);
        await using (var tx = await store.BeginWriteAsync(default))
            Assert.Null(await tx.GetTagAsync(Repo, "t", default));
    }
}
