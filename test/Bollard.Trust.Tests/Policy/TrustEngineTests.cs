using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Trust.Policy;
using Bollard.Trust.Signatures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Bollard.Trust.Tests.Policy.PolicyTestData;

namespace Bollard.Trust.Tests.Policy;

public sealed class TrustEngineTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("prod/app");

    private readonly MemoryArtifactSource _artifacts = new();
    private readonly MemoryPolicySource _policies = new();
    private readonly MemoryScanFacts _scans = new();
    private readonly MemoryServerKeys _keys = new();
    private readonly TestCosignVerifier _verifier = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private TrustEngine Engine(TrustEngineOptions? options = null) =>
        new(_policies, _scans, _artifacts, _keys, _time, options ?? new TrustEngineOptions(), NullLogger<TrustEngine>.Instance,
            f => f == SignatureFormat.Cosign ? _verifier : null);

    private void Use(TrustPolicy policy, long version = 1)
    {
        lock (_policies.Policies)
        {
            _policies.Policies.Clear();
            _policies.Policies.Add(new VersionedTrustPolicy(policy, version));
        }
    }

    private static ValueTask<PolicyDecision> Decide(TrustEngine engine, RepositoryName? repository = null) =>
        engine.DecideAsync(repository ?? Repo, Image, DecisionPoint.Admission, CancellationToken.None);

    [Fact]
    public async Task Real_signatures_dev_and_ci_fail_allOf_until_release_signs_and_the_push_invalidates()
    {
        Use(KeyPolicy("""{"allOf":["dev","ci","release"]}"""));
        _artifacts.Sign("prod/app", Image, Dev);
        _artifacts.Sign("prod/app", Image, Ci);
        var engine = Engine();

        var first = await Decide(engine);
        Assert.False(first.Allowed);
        Assert.False(first.Cached);
        Assert.Equal(["requirement allOf(dev, ci, release): release: no trusted signature"], first.Violations);
        Assert.Equal(2, first.Signatures.Count);

        _artifacts.Sign("prod/app", Image, Release);
        var second = await Decide(engine);
        Assert.True(second.Cached);
        Assert.False(second.Allowed);

        engine.Invalidate(Repo, Image);
        var third = await Decide(engine);
        Assert.False(third.Cached);
        Assert.True(third.Allowed);
        Assert.Contains("requirement allOf(dev, ci, release): met (signed by dev, ci, release)", third.Notes);
    }

    [Fact]
    public async Task Policy_test_is_never_answered_from_the_cache_and_refreshes_it()
    {
        // CI signs and asks at once; the signature's invalidation arrives later, through the event dispatcher.
        Use(KeyPolicy("\"dev\""));
        var engine = Engine();
        Assert.False((await Decide(engine)).Allowed);
        _artifacts.Sign("prod/app", Image, Dev);
        Assert.True((await Decide(engine)).Cached);

        var test = await engine.DecideAsync(Repo, Image, DecisionPoint.PolicyTest, CancellationToken.None);
        Assert.False(test.Cached);
        Assert.True(test.Allowed);
        var pull = await engine.DecideAsync(Repo, Image, DecisionPoint.Pull, CancellationToken.None);
        Assert.True(pull.Cached);
        Assert.True(pull.Allowed);
    }

    [Fact]
    public async Task A_cached_decision_reads_nothing()
    {
        Use(KeyPolicy("\"dev\""));
        _artifacts.Sign("prod/app", Image, Dev);
        var engine = Engine();
        Assert.True((await Decide(engine)).Allowed);
        int reads = _artifacts.ManifestReads, policyReads = _policies.Reads, verified = _verifier.Calls;
        var again = await Decide(engine);
        Assert.True(again.Cached);
        Assert.True(again.Allowed);
        Assert.Equal((reads, policyReads, verified), (_artifacts.ManifestReads, _policies.Reads, _verifier.Calls));
    }

    [Fact]
    public async Task Signatures_copied_from_another_image_or_tampered_do_not_count()
    {
        Use(KeyPolicy("\"dev\""));
        _artifacts.Sign("prod/app", Image, Dev, signed: OtherImage);
        _artifacts.Sign("prod/app", Image, Dev, tamper: true);
        var decision = await Decide(Engine());
        Assert.False(decision.Allowed);
        Assert.Contains(decision.Notes, n => n.Contains($"does not count: the payload names {OtherImage}", StringComparison.Ordinal));
        Assert.Contains(decision.Notes, n => n.Contains("trusted by no signer: dev: signature does not verify with key dev", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalidate_all_picks_up_a_changed_policy()
    {
        Use(KeyPolicy("\"release\""));
        _artifacts.Sign("prod/app", Image, Dev);
        var engine = Engine();
        Assert.False((await Decide(engine)).Allowed);
        Use(KeyPolicy("\"dev\""), version: 2);
        engine.InvalidateAll();
        var decision = await Decide(engine);
        Assert.True(decision.Allowed);
        Assert.Equal(2, decision.PolicyVersion);
    }

    [Fact]
    public async Task An_exception_expiry_ends_the_cache_entry()
    {
        var expires = _time.GetUtcNow().AddHours(1);
        Use(KeyPolicy("\"dev\"", extra: ",\"vulnerabilities\":{\"maxSeverity\":\"high\"}"));
        _artifacts.Sign("prod/app", Image, Dev);
        _scans.Facts[Image] = new ScanFacts
        {
            State = ScanFactsState.Done, Scanned = true,
            Findings = [new Finding
            {
                AdvisoryId = "CVE-2026-0001", Source = "osv", PackageType = "npm", PackageName = "lodash", InstalledVersion = "4.17.15",
                FixedVersion = "4.17.21", Severity = Severities.Critical, Purl = "pkg:npm/lodash@4.17.15", Path = "/app", Status = FindingStatus.Affected,
            }],
            Exceptions = [new ScanExceptionRule
            {
                AdvisoryId = "CVE-2026-0001", Namespace = NamespacePattern.Parse("prod/**"), Reason = "not reachable", Owner = "team-a", ExpiresAt = expires,
            }],
        };
        var engine = Engine(new TrustEngineOptions { CacheTtl = TimeSpan.FromHours(2) });
        var before = await Decide(engine);
        Assert.True(before.Allowed, string.Join(" | ", before.Violations.Concat(before.Notes)));
        Assert.Equal(expires, before.ValidUntil);
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.True((await Decide(engine)).Cached);
        _time.Advance(TimeSpan.FromMinutes(1));
        var after = await Decide(engine);
        Assert.False(after.Cached);
        Assert.False(after.Allowed);
        Assert.Equal(["CVE-2026-0001"], after.Advisories);
    }

    [Fact]
    public async Task The_ttl_ends_an_entry_and_findings_changes_invalidate_every_repository()
    {
        Use(KeyPolicy("\"dev\""));
        var engine = Engine(new TrustEngineOptions { CacheTtl = TimeSpan.FromMinutes(5) });
        var other = RepositoryName.Parse("prod/other");
        await Decide(engine);
        await Decide(engine, other);
        Assert.True((await Decide(engine)).Cached);
        engine.Invalidate(Image);
        Assert.False((await Decide(engine)).Cached);
        Assert.False((await Decide(engine, other)).Cached);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.False((await Decide(engine)).Cached);
    }

    [Fact]
    public async Task The_cache_is_bounded()
    {
        Use(KeyPolicy("\"dev\"", mode: "warn"));
        var engine = Engine(new TrustEngineOptions { CacheEntries = 3 });
        for (int i = 0; i < 10; i++)
            await engine.DecideAsync(RepositoryName.Parse($"prod/app{i}"), Image, DecisionPoint.Pull, CancellationToken.None);
        Assert.Equal(3, engine.CachedDecisions);
        Assert.True((await engine.DecideAsync(RepositoryName.Parse("prod/app9"), Image, DecisionPoint.Pull, CancellationToken.None)).Cached);
        Assert.False((await engine.DecideAsync(RepositoryName.Parse("prod/app0"), Image, DecisionPoint.Pull, CancellationToken.None)).Cached);
    }

    [Fact]
    public async Task Server_keys_are_resolved_and_a_missing_one_is_the_reason()
    {
        var policy = TrustPolicyParser.Parse("""{"name":"prod","namespace":"prod/**","mode":"enforce","signers":{"ci":{"serverKey":"ci-key"}},"require":"ci"}""");
        Use(policy);
        _artifacts.Sign("prod/app", Image, Ci);
        var engine = Engine();
        var missing = await Decide(engine);
        Assert.Equal(["requirement ci: ci: server key ci-key does not exist"], missing.Violations);

        _keys.Keys["ci-key"] = Ci.PublicKeyPem;
        engine.InvalidateAll();
        Assert.True((await Decide(engine)).Allowed);
    }

    [Fact]
    public async Task Server_keys_are_read_once_per_policy_until_invalidate_all()
    {
        var policy = TrustPolicyParser.Parse("""{"name":"prod","namespace":"prod/**","mode":"enforce","signers":{"ci":{"serverKey":"ci-key"}},"require":"ci"}""");
        Use(policy);
        _keys.Keys["ci-key"] = Ci.PublicKeyPem;
        _artifacts.Sign("prod/app", Image, Ci);
        _artifacts.Sign("prod/app", OtherImage, Ci);
        var engine = Engine();
        Assert.True((await Decide(engine)).Allowed);
        Assert.True((await engine.DecideAsync(Repo, OtherImage, DecisionPoint.Admission, CancellationToken.None)).Allowed);
        Assert.True((await engine.DecideAsync(Repo, Image, DecisionPoint.PolicyTest, CancellationToken.None)).Allowed);
        Assert.Equal(1, _keys.Reads);

        // A key deleted (the server calls InvalidateAll) stops counting at the next decision.
        _keys.Keys.Remove("ci-key");
        engine.InvalidateAll();
        Assert.Equal(["requirement ci: ci: server key ci-key does not exist"], (await Decide(engine)).Violations);
        Assert.Equal(2, _keys.Reads);

        // The resolution lives no longer than the cache TTL either.
        _keys.Keys["ci-key"] = Ci.PublicKeyPem;
        _time.Advance(new TrustEngineOptions().CacheTtl + TimeSpan.FromSeconds(1));
        Assert.True((await engine.DecideAsync(Repo, Image, DecisionPoint.PolicyTest, CancellationToken.None)).Allowed);
        Assert.Equal(3, _keys.Reads);
    }

    [Fact]
    public async Task Signers_sharing_one_payload_cost_one_blob_read()
    {
        // cosign signers of one image sign the same payload: the .sig layers all name one blob.
        Use(KeyPolicy("{\"allOf\":[\"dev\",\"ci\",\"release\"]}"));
        _artifacts.Sign("prod/app", Image, Dev);
        _artifacts.Sign("prod/app", Image, Ci);
        _artifacts.Sign("prod/app", Image, Release);
        var decision = await Decide(Engine());
        Assert.True(decision.Allowed, string.Join("; ", decision.Violations));
        Assert.Equal(3, decision.Signatures.Count);
        Assert.Equal(1, _artifacts.BlobReads);
    }

    [Fact]
    public async Task Verification_is_bounded()
    {
        Use(KeyPolicy("\"release\""));
        for (int i = 0; i < 300; i++) _artifacts.Sign("prod/app", Image, Dev);
        var engine = Engine(new TrustEngineOptions { MaxSignaturesVerified = 20 });
        var decision = await Decide(engine);
        Assert.False(decision.Allowed);
        Assert.Equal(20, _verifier.Calls);
        Assert.Equal(20, decision.Signatures.Count);
        Assert.Contains(decision.Notes, n => n.Contains("only the newest 256 are read", StringComparison.Ordinal));
        Assert.Contains(decision.Notes, n => n.Contains("236 more signatures were not verified (at most 20 are per image)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_policy_allows_and_off_evaluates_nothing()
    {
        var engine = Engine();
        var none = await Decide(engine);
        Assert.True(none.Allowed);
        Assert.Null(none.Policy);
        Assert.Equal(PolicyMode.Off, none.Mode);

        Use(KeyPolicy("\"release\"", mode: "off"));
        engine.InvalidateAll();
        Assert.True((await Decide(engine)).Allowed);
        Assert.Equal(0, _artifacts.ManifestReads);
    }

    [Fact]
    public async Task Concurrent_misses_share_one_evaluation()
    {
        Use(KeyPolicy("\"dev\""));
        _artifacts.Sign("prod/app", Image, Dev);
        _policies.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var engine = Engine();
        var decisions = Enumerable.Range(0, 8).Select(_ => Decide(engine).AsTask()).ToList();
        using var cancelled = new CancellationTokenSource();
        var givingUp = engine.DecideAsync(Repo, Image, DecisionPoint.Pull, cancelled.Token).AsTask();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givingUp);
        _policies.Gate.SetResult();
        var results = await Task.WhenAll(decisions);
        Assert.All(results, d => Assert.True(d.Allowed));
        Assert.Equal(1, _policies.Reads);
        Assert.Equal(1, _verifier.Calls);
    }

    [Fact]
    public async Task Dry_run_evaluates_an_unsaved_off_policy_as_warn_and_says_so()
    {
        _artifacts.Sign("prod/app", Image, Dev);
        var policy = KeyPolicy("""{"allOf":["dev","ci"]}""", mode: "off");
        var engine = Engine();
        var results = await engine.DryRunAsync(policy, [(Repo, Image), (RepositoryName.Parse("dev/app"), Image)], CancellationToken.None);
        Assert.Equal(2, results.Count);
        Assert.Equal(PolicyMode.Warn, results[0].Mode);
        Assert.Equal(["requirement allOf(dev, ci): ci: no trusted signature"], results[0].Violations);
        Assert.Contains("dry run: the policy is off; evaluated as warn", results[0].Notes);
        Assert.Contains("dry run: dev/app is outside the policy's namespace prod/**", results[1].Notes);
        Assert.Equal(0, engine.CachedDecisions);
        await Assert.ThrowsAsync<ArgumentException>(() => Engine(new TrustEngineOptions { MaxDryRunImages = 1 }).DryRunAsync(policy, [(Repo, Image), (Repo, OtherImage)], CancellationToken.None));
    }
}
