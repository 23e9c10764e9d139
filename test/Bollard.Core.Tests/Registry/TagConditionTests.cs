using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Tests.Support;

namespace Bollard.Core.Tests.Registry;

/// <summary>Conditional manifest PUTs (If-Match / If-None-Match): the atomic read-modify-write of a tag.</summary>
public sealed class TagConditionTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private readonly InMemoryMetadataStore _store = new();

    private ManifestService Service() =>
        new(_store, _store, _store, new StoredManifestReader(_store), Array.Empty<IPushCheck>(), new AllowAllPullGate(), new RegistryOptions(), TimeProvider.System);

    /// <summary>An empty index (no references needed), made distinct by an annotation.</summary>
    private static byte[] Index(string n) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = MediaTypes.OciIndex,
        ["manifests"] = new JsonArray(),
        ["annotations"] = new JsonObject { ["n"] = n },
    }.ToJsonString());

    private Task<(Digest Digest, ParsedManifest Parsed)> PutAsync(string reference, byte[] body, TagCondition? condition) =>
        Service().PutAsync(Repo, Reference.Parse(reference), body, MediaTypes.OciIndex, condition, RegistryActor.Unknown, default);

    private async Task<Digest?> TagAsync(string tag)
    {
        await using var tx = await _store.BeginWriteAsync(default);
        return await tx.GetTagAsync(Repo, tag, default);
    }

    [Fact]
    public async Task IfMatch_WhenTheTagMoved_IsPreconditionFailed_AndTheTagStays()
    {
        var (first, _) = await PutAsync("sig", Index("1"), null);
        var (second, _) = await PutAsync("sig", Index("2"), TagCondition.Matching(first));
        Assert.Equal(second, await TagAsync("sig"));

        // A second writer that also read `first` loses the race: 412, nothing written.
        var e = await Assert.ThrowsAsync<OciException>(() => PutAsync("sig", Index("3"), TagCondition.Matching(first)));
        Assert.Equal(OciErrors.PreconditionFailed, e.Error);
        Assert.Equal(412, e.Error.HttpStatus);
        Assert.Contains($"points at {second}", e.Detail, StringComparison.Ordinal);
        Assert.Equal(second, await TagAsync("sig"));
        Assert.Null(await new StoredManifestReader(_store).GetAsync(Repo, new Reference(null, Digest.Sha256Of(Index("3"))), default));
    }

    [Fact]
    public async Task IfNoneMatchStar_CreatesOnlyAnAbsentTag()
    {
        var (first, _) = await PutAsync("sig", Index("1"), TagCondition.Absent);
        Assert.Equal(first, await TagAsync("sig"));
        var e = await Assert.ThrowsAsync<OciException>(() => PutAsync("sig", Index("2"), TagCondition.Absent));
        Assert.Equal(OciErrors.PreconditionFailed, e.Error);
        Assert.Equal(first, await TagAsync("sig"));
    }

    [Fact]
    public async Task IfMatch_OnAnAbsentTag_Fails()
    {
        var e = await Assert.ThrowsAsync<OciException>(() => PutAsync("sig", Index("1"), TagCondition.Matching(Digest.Sha256Of(Index("0")))));
        Assert.Equal(OciErrors.PreconditionFailed, e.Error);
        Assert.Null(await TagAsync("sig"));
    }

    [Theory]
    [InlineData("\"sha256:{0}\"", null, true)]
    [InlineData("W/\"sha256:{0}\"", null, false)]
    [InlineData("\"nonsense\"", null, false)]
    [InlineData("*", null, true)]
    [InlineData(null, "*", false)]
    [InlineData("\"sha256:1111111111111111111111111111111111111111111111111111111111111111\", \"sha256:{0}\"", null, true)]
    [InlineData(null, "\"sha256:{0}\"", false)]
    public void FromHeaders_AgainstTheCurrentTarget(string? ifMatch, string? ifNoneMatch, bool holds)
    {
        var current = Digest.Sha256Of("x"u8.ToArray());
        string hex = current.ToString()["sha256:".Length..];
        var condition = TagCondition.FromHeaders(ifMatch is null ? [] : [string.Format(System.Globalization.CultureInfo.InvariantCulture, ifMatch, hex)],
            ifNoneMatch is null ? [] : [string.Format(System.Globalization.CultureInfo.InvariantCulture, ifNoneMatch, hex)]);
        Assert.NotNull(condition);
        Assert.Equal(holds, condition.Check(current) is null);
    }

    [Fact]
    public void FromHeaders_WithoutEither_IsNoCondition() => Assert.Null(TagCondition.FromHeaders([], [null]));
}
