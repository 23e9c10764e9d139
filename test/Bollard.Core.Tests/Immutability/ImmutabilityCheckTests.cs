using System.Text;
using Bollard.Core.Immutability;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Tests.Support;

namespace Bollard.Core.Tests.Immutability;

public sealed class ImmutabilityCheckTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("prod/api");
    private readonly InMemoryImmutabilityStore _store = new();
    private readonly InMemoryMetadataStore _metadata = new();

    private static Digest D(string s) => Digest.Sha256Of(Encoding.UTF8.GetBytes(s));

    private Storage.IMetadataReads? _reads;

    private PushCheckContext Context(RegistryChange change, string? tag, Digest digest, Digest? previous = null) => new()
    {
        Change = change, Repository = Repo, Digest = digest, Tag = tag, PreviousTagTarget = previous, Actor = RegistryActor.Unknown,
        Reads = _reads ?? throw new InvalidOperationException("no transaction"),
    };

    [Theory]
    [InlineData("v*", "v1.2", true)]
    [InlineData("v*", "v", true)]
    [InlineData("v*", "latest", false)]
    [InlineData("release-*", "release-2024", true)]
    [InlineData("release-*", "release", false)]
    [InlineData("*-prod", "web-prod", true)]
    [InlineData("*", "anything", true)]
    [InlineData("latest", "latest", true)]
    [InlineData("latest", "Latest", false)]
    [InlineData("v*.*", "v1.2", true)]
    [InlineData("v*.*", "v12", false)]
    public void TagPattern_Matches(string pattern, string tag, bool expected) => Assert.Equal(expected, TagPattern.Parse(pattern).Matches(tag));

    [Theory]
    [InlineData("")]
    [InlineData("v/1")]
    [InlineData("v 1")]
    [InlineData("v?")]
    public void TagPattern_Invalid_Refused(string pattern) => Assert.False(TagPattern.TryParse(pattern, out _, out _));

    [Fact]
    public void TagPattern_LongStarryPattern_AgainstALongTag_StaysLinear()
    {
        // Greedy star with one backtrack point: no exponential blow-up on "*a*a*a...b" against "aaaa...".
        var pattern = TagPattern.Parse(string.Concat(Enumerable.Repeat("*a", 60)) + "b");
        Assert.False(pattern.Matches(new string('a', 128)));
    }

    [Fact]
    public async Task EveryChange_OnAProtectedTag_IsRefusedNamingTheRule_OthersAllowed()
    {
        var rule = await _store.AddAsync("prod/**", "v*", "admin", DateTimeOffset.UnixEpoch, default);
        var check = new ImmutabilityCheck(new ImmutabilityRules(_store));
        Digest a = D("a"), b = D("b");
        await using (var setup = await _metadata.BeginWriteAsync(default))
        {
            await setup.EnsureRepositoryAsync(Repo, default);
            await setup.PutManifestAsync(Repo, new Storage.ManifestRecord(a, MediaTypes.OciManifest, [1], null, null, null, DateTimeOffset.UnixEpoch), [], [], default);
            await setup.PutManifestAsync(Repo, new Storage.ManifestRecord(b, MediaTypes.OciManifest, [2], null, null, null, DateTimeOffset.UnixEpoch), [], [], default);
            await setup.SetTagAsync(Repo, "v1", a, default);
            await setup.SetTagAsync(Repo, "latest", b, default);
            await setup.CommitAsync(default);
        }
        await using var tx = await _metadata.BeginWriteAsync(default);
        _reads = tx;
        string expected = $"tag v1 in prod/api is immutable (rule {rule!.Id}: prod/** v*)";

        async Task Refused(PushCheckContext context)
        {
            var result = await check.CheckAsync(context, default);
            Assert.False(result.Allowed, context.Change.ToString());
            Assert.Equal("DENIED", result.Error!.Code);
            Assert.StartsWith(expected, result.Reason, StringComparison.Ordinal);
            Assert.StartsWith(expected, result.Error.Message, StringComparison.Ordinal);
        }
        async Task Allowed(PushCheckContext context) => Assert.True((await check.CheckAsync(context, default)).Allowed, $"{context.Change} {context.Tag}");

        await Refused(Context(RegistryChange.PutManifest, "v1", b, previous: a));
        await Refused(Context(RegistryChange.DeleteTag, "v1", a, previous: a));
        await Refused(Context(RegistryChange.DeleteRepository, "v1", a));
        await Allowed(Context(RegistryChange.PutManifest, "v1", a));              // a new protected tag
        await Allowed(Context(RegistryChange.PutManifest, "v1", a, previous: a)); // the same digest again
        await Allowed(Context(RegistryChange.PutManifest, null, b));              // by digest
        await Allowed(Context(RegistryChange.PutManifest, "latest", b, previous: a));
        await Allowed(Context(RegistryChange.DeleteTag, "latest", a, previous: a));
        await Allowed(Context(RegistryChange.DeleteRepository, "latest", a));
        await Allowed(Context(RegistryChange.DeleteRepository, null, a));         // an untagged manifest

        // By digest: refused while a protected tag points at the manifest (read in the transaction).
        await Refused(Context(RegistryChange.DeleteManifest, null, a));
        await Allowed(Context(RegistryChange.DeleteManifest, null, b));

        // Another namespace is not covered.
        var other = Context(RegistryChange.DeleteTag, "v1", a, previous: a) with { Repository = RepositoryName.Parse("dev/api") };
        await Allowed(other);
    }

    [Fact]
    public async Task Rules_AreCached_AndReloadedAfterInvalidate()
    {
        await using var tx = await _metadata.BeginWriteAsync(default);
        _reads = tx;
        var rules = new ImmutabilityRules(_store);
        var check = new ImmutabilityCheck(rules);
        var move = Context(RegistryChange.PutManifest, "v1", D("b"), previous: D("a"));
        Assert.True((await check.CheckAsync(move, default)).Allowed);
        await _store.AddAsync("**", "v*", "admin", DateTimeOffset.UnixEpoch, default);
        Assert.True((await check.CheckAsync(move, default)).Allowed); // cached: not seen before an invalidation
        Assert.Equal(1, _store.Loads);
        rules.Invalidate();
        Assert.False((await check.CheckAsync(move, default)).Allowed);
        Assert.False((await check.CheckAsync(move, default)).Allowed);
        Assert.Equal(2, _store.Loads);
    }
}
