using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;
using Bollard.Trust.Signatures;
using Microsoft.Extensions.Logging;

namespace Bollard.Trust.Policy;

/// <summary>
/// The one policy engine behind the pull gate, the admission webhook and <c>bollard policy test</c>: picks the policy
/// of the repository (<see cref="TrustPolicySelector"/>), finds the image's signatures (<see cref="SignatureDiscovery"/>,
/// bounded by <see cref="TrustEngineOptions.Discovery"/>), verifies at most <see cref="TrustEngineOptions.MaxSignaturesVerified"/>
/// of them against the policy's anchors, reads the scan facts when the policy has scanner rules, and evaluates
/// (<see cref="PolicyEvaluator"/>).
/// <para>
/// Decisions are cached per (repository, digest) until the earliest of the TTL and the decision's
/// <see cref="PolicyDecision.ValidUntil"/> (an exception expiring, a grace period ending, a certificate expiring). The
/// cache does not re-read policies on a hit: the server calls <see cref="Invalidate(RepositoryName, Digest)"/> when a
/// signature is pushed or deleted, <see cref="Invalidate(Digest)"/> when an image's findings change, and
/// <see cref="InvalidateAll"/> when a policy, an exception or a server key changes. Concurrent misses for the same
/// image share one evaluation. Errors of the sources (a store down) propagate and are not cached. Thread-safe.
/// </para>
/// </summary>
public sealed partial class TrustEngine : ITrustDecisions, ITrustDecisionCache, ITrustDryRun, ITrustSignatureInspector
{
    private readonly ITrustPolicySource _policies;
    private readonly IScanFactsSource _scans;
    private readonly IServerKeyResolver _keys;
    private readonly SignatureDiscovery _discovery;
    private readonly Func<SignatureFormat, ISignatureVerifier?> _verifiers;
    private readonly TimeProvider _time;
    private readonly TrustEngineOptions _options;
    private readonly ILogger _logger;
    private readonly DecisionCache _cache;
    private readonly ISignatureOrigin? _origin;
    private readonly ConcurrentDictionary<(string, Digest, long), Lazy<Task<PolicyDecision>>> _inFlight = new();
    private readonly ConditionalWeakTable<TrustPolicy, ResolvedAnchors> _anchors = [];
    private long _anchorGeneration;

    /// <param name="verifiers">The verifier of a format; default <see cref="SignatureVerifiers.For"/> (tests may give their own).</param>
    /// <param name="origin">Where signatures of a repository come from besides this registry (the mirror), if anywhere.</param>
    public TrustEngine(ITrustPolicySource policies, IScanFactsSource scans, IArtifactSource artifacts, IServerKeyResolver keys,
        TimeProvider time, TrustEngineOptions options, ILogger<TrustEngine> logger, Func<SignatureFormat, ISignatureVerifier?>? verifiers = null,
        ISignatureOrigin? origin = null)
    {
        _origin = origin;
        ArgumentNullException.ThrowIfNull(options);
        _policies = policies;
        _scans = scans;
        _keys = keys;
        _time = time;
        _options = options;
        _logger = logger;
        _verifiers = verifiers ?? SignatureVerifiers.For;
        _discovery = new SignatureDiscovery(artifacts, options.Discovery);
        _cache = new DecisionCache(options.CacheEntries);
    }

    /// <summary>Decisions held by the cache now (for metrics and tests).</summary>
    public int CachedDecisions => _cache.Count;

    /// <remarks>
    /// <see cref="DecisionPoint.PolicyTest"/> (CI asking right after it signed) is always evaluated afresh and refreshes
    /// the cache: the invalidation of a just-pushed signature arrives through the event dispatcher, a moment later, and
    /// the CI enforcement point must never answer from before it. Pulls and admission take the cache.
    /// </remarks>
    public async ValueTask<PolicyDecision> DecideAsync(RepositoryName repository, Digest digest, DecisionPoint point, CancellationToken ct)
    {
        if (point == DecisionPoint.PolicyTest) return await ComputeAndCacheAsync(repository, digest, _cache.Epoch).WaitAsync(ct).ConfigureAwait(false);
        if (_cache.TryGet(repository, digest, _time.GetUtcNow(), out var cached)) return cached with { Cached = true };
        // Keyed with the cache epoch: a caller arriving after an invalidation never joins an evaluation that started before it.
        long epoch = _cache.Epoch;
        var key = (repository.Value, digest, epoch);
        // Shared work runs without any one caller's token (a caller giving up must not fail the others); it is bounded by
        // the discovery and verification limits. Each caller waits with its own token. Lazy: GetOrAdd may call the
        // factory twice, but only the stored Lazy ever starts an evaluation.
        var task = _inFlight.GetOrAdd(key, k => Start(k, repository, digest, epoch)).Value;
        return await task.WaitAsync(ct).ConfigureAwait(false);
    }

    private Lazy<Task<PolicyDecision>> Start((string, Digest, long) key, RepositoryName repository, Digest digest, long epoch)
    {
        Lazy<Task<PolicyDecision>>? lazy = null;
        lazy = new Lazy<Task<PolicyDecision>>(() =>
        {
            var task = ComputeAndCacheAsync(repository, digest, epoch);
            _ = task.ContinueWith(_ => _inFlight.TryRemove(KeyValuePair.Create(key, lazy!)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        });
        return lazy;
    }

    private async Task<PolicyDecision> ComputeAndCacheAsync(RepositoryName repository, Digest digest, long epoch)
    {
        await Task.Yield();
        var now = _time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        var all = await _policies.ListAsync(CancellationToken.None).ConfigureAwait(false);
        var selected = TrustPolicySelector.Select(all, repository.Value);
        var decision = selected is null
            ? new PolicyDecision
            {
                Allowed = true, Mode = PolicyMode.Off, Repository = repository.Value, Digest = digest.ToString(), EvaluatedAt = now,
                Notes = ["no trust policy applies to this repository"],
            }
            : await EvaluateAsync(selected.Policy, selected.Version, repository, digest, now, CancellationToken.None).ConfigureAwait(false);
        var expires = now + _options.CacheTtl;
        if (decision.ValidUntil is { } until && until < expires) expires = until;
        _cache.Set(repository, digest, decision, expires, epoch);
        if (_logger.IsEnabled(LogLevel.Debug))
            Log.Evaluated(_logger, repository.Value, digest, decision.Policy, decision.Allowed, decision.Violations.Count, stopwatch.ElapsedMilliseconds);
        return decision;
    }

    /// <summary>Evaluates <paramref name="policy"/> for one image now, without the cache (used by the dry run too).</summary>
    public async Task<PolicyDecision> EvaluateAsync(TrustPolicy policy, long? version, RepositoryName repository, Digest digest, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var facts = new PolicyFacts { Repository = repository.Value, Digest = digest };
        if (policy.Mode == PolicyMode.Off) return PolicyEvaluator.Evaluate(policy, version, facts, now);

        // Where an uncached decision's time goes (bench/README.md#trust), measured only when the debug log is on.
        var spans = _logger.IsEnabled(LogLevel.Debug) ? new DecisionSpans() : null;
        if (policy.Signers.Count > 0)
        {
            var (anchors, problems) = await ResolveAnchorsAsync(policy, ct).ConfigureAwait(false);
            spans?.End(ref spans.Anchors);
            var found = await FindAsync(repository, digest, ct).ConfigureAwait(false);
            spans?.End(ref spans.Discovery);
            var (verdicts, notes) = Verify(repository, digest, found, anchors, now);
            spans?.End(ref spans.Verification);
            facts = facts with { Signatures = verdicts, SignatureNotes = notes, SignerProblems = problems };
        }
        if (policy.NeedsScanFacts) facts = facts with { Scan = await _scans.GetAsync(repository, digest, ct).ConfigureAwait(false) };
        spans?.End(ref spans.Scan);
        var decision = PolicyEvaluator.Evaluate(policy, version, facts, now);
        if (spans is not null)
        {
            spans.End(ref spans.Evaluation);
            Log.Spans(_logger, repository.Value, digest, facts.Signatures.Count, spans.Anchors, spans.Discovery, spans.Verification, spans.Scan, spans.Evaluation);
        }
        return decision;
    }

    /// <summary>Milliseconds per step of one evaluation; each <see cref="End"/> closes the step that began at the previous one.</summary>
    private sealed class DecisionSpans
    {
        private long _last = Stopwatch.GetTimestamp();
        public double Anchors, Discovery, Verification, Scan, Evaluation;

        public void End(ref double span)
        {
            long now = Stopwatch.GetTimestamp();
            span = Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds;
            _last = now;
        }
    }

    /// <summary>
    /// A policy's anchors with its server keys resolved, kept per policy instance (the policy source keeps one per stored
    /// version) until <see cref="InvalidateAll"/> (a policy or a server key changed) or the cache TTL: the key store is
    /// not read for every uncached decision, and the same <see cref="KeyAnchor"/> instances keep their parsed keys.
    /// </summary>
    private async Task<(IReadOnlyList<TrustAnchor> Anchors, IReadOnlyDictionary<string, string> Problems)> ResolveAnchorsAsync(TrustPolicy policy, CancellationToken ct)
    {
        long generation = Interlocked.Read(ref _anchorGeneration);
        var now = _time.GetUtcNow();
        if (_anchors.TryGetValue(policy, out var known) && known.Generation == generation && known.Until > now) return (known.Anchors, known.Problems);
        var (anchors, problems) = await ResolveAnchorsNowAsync(policy, ct).ConfigureAwait(false);
        // Resolved under `generation`: if an invalidation came meanwhile, the next decision sees the mismatch and resolves again.
        _anchors.AddOrUpdate(policy, new ResolvedAnchors(generation, now + _options.CacheTtl, anchors, problems));
        return (anchors, problems);
    }

    private sealed record ResolvedAnchors(long Generation, DateTimeOffset Until, IReadOnlyList<TrustAnchor> Anchors, IReadOnlyDictionary<string, string> Problems);

    private async Task<(List<TrustAnchor> Anchors, Dictionary<string, string> Problems)> ResolveAnchorsNowAsync(TrustPolicy policy, CancellationToken ct)
    {
        var anchors = new List<TrustAnchor>(policy.Signers.Count);
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var signer in policy.Signers)
        {
            if (signer.Anchor is not null)
            {
                anchors.Add(signer.Anchor);
                continue;
            }
            string? pem = await _keys.GetPublicKeyPemAsync(signer.ServerKey!, ct).ConfigureAwait(false);
            if (pem is null) problems[signer.Name] = $"server key {signer.ServerKey} does not exist";
            else anchors.Add(new KeyAnchor(signer.Name, pem));
        }
        return (anchors, problems);
    }

    private async Task<(List<SignatureVerdict> Verdicts, List<string> Notes)> VerifyAsync(RepositoryName repository, Digest digest,
        IReadOnlyList<TrustAnchor> anchors, DateTimeOffset now, CancellationToken ct)
    {
        var found = await FindAsync(repository, digest, ct).ConfigureAwait(false);
        return Verify(repository, digest, found, anchors, now);
    }

    /// <summary>The image's signatures, after the origin (the mirror) brought those made upstream.</summary>
    private async Task<DiscoveryResult> FindAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        if (_origin is not null) await _origin.BringSignaturesAsync(repository, digest, ct).ConfigureAwait(false);
        return await _discovery.FindAsync(repository.Value, digest, ct).ConfigureAwait(false);
    }

    private (List<SignatureVerdict> Verdicts, List<string> Notes) Verify(RepositoryName repository, Digest digest, DiscoveryResult found,
        IReadOnlyList<TrustAnchor> anchors, DateTimeOffset now)
    {
        var notes = found.Warnings.Select(w => $"signatures: {w}").ToList();
        var verdicts = new List<SignatureVerdict>();
        var request = new VerificationRequest(digest, repository.Value, anchors, now) { AlsoSignedAs = _origin?.SignedNames(repository) ?? [] };
        // No de-duplication by layer digest: cosign signers of the same image share one payload (one layer digest) and
        // differ only in the signature annotation.
        int verified = 0;
        foreach (var signature in found.Signatures)
        {
            if (verified == _options.MaxSignaturesVerified)
            {
                notes.Add($"signatures: {found.Signatures.Count - verified} more signatures were not verified (at most {_options.MaxSignaturesVerified} are per image)");
                break;
            }
            verified++;
            verdicts.Add(Verify(signature, request));
        }
        return (verdicts, notes);
    }

    private SignatureVerdict Verify(FoundSignature signature, VerificationRequest request)
    {
        var verifier = _verifiers(signature.Format);
        if (verifier is null)
            return new SignatureVerdict
            {
                Format = signature.Format, SignatureManifest = signature.SignatureManifest, LayerIndex = signature.LayerIndex,
                Problems = [$"no verifier for {signature.Format} signatures in this build"],
            };
        try
        {
            return verifier.Verify(signature, request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A verifier must not throw (ISignatureVerifier's contract); if one does, the signature simply does not count.
            Log.VerifierFailed(_logger, signature.Format.ToString(), signature.Describe(), e);
            return new SignatureVerdict
            {
                Format = signature.Format, SignatureManifest = signature.SignatureManifest, LayerIndex = signature.LayerIndex,
                Problems = [$"verification failed: {e.Message}"],
            };
        }
    }

    public async Task<IReadOnlyList<PolicyDecision>> DryRunAsync(TrustPolicy policy, IReadOnlyList<(RepositoryName Repository, Digest Digest)> images, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count > _options.MaxDryRunImages)
            throw new ArgumentException($"a dry run evaluates at most {_options.MaxDryRunImages} images ({images.Count} given)", nameof(images));
        // An off policy is evaluated as warn: a dry run is asked to show what the policy would say.
        var evaluated = policy.Mode == PolicyMode.Off ? policy with { Mode = PolicyMode.Warn } : policy;
        var now = _time.GetUtcNow();
        var decisions = new List<PolicyDecision>(images.Count);
        foreach (var (repository, digest) in images)
        {
            ct.ThrowIfCancellationRequested();
            var decision = await EvaluateAsync(evaluated, null, repository, digest, now, ct).ConfigureAwait(false);
            var extra = new List<string>();
            if (policy.Mode == PolicyMode.Off) extra.Add("dry run: the policy is off; evaluated as warn");
            if (!policy.Namespace.Matches(repository.Value)) extra.Add($"dry run: {repository} is outside the policy's namespace {policy.Namespace}");
            decisions.Add(extra.Count == 0 ? decision : decision with { Notes = [.. extra, .. decision.Notes] });
        }
        return decisions;
    }

    public async Task<SignatureReport> InspectAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var selected = TrustPolicySelector.Select(await _policies.ListAsync(ct).ConfigureAwait(false), repository.Value);
        (IReadOnlyList<TrustAnchor> anchors, IReadOnlyDictionary<string, string> problems) = selected is null
            ? ([], new Dictionary<string, string>(StringComparer.Ordinal))
            : await ResolveAnchorsAsync(selected.Policy, ct).ConfigureAwait(false);
        var (verdicts, notes) = await VerifyAsync(repository, digest, anchors, now, ct).ConfigureAwait(false);
        return new SignatureReport(selected?.Policy.Name, selected?.Version, anchors.Select(a => a.Name).ToList(), problems, verdicts, notes);
    }

    public void Invalidate(RepositoryName repository, Digest digest) => _cache.Invalidate(repository, digest);

    public void Invalidate(Digest digest) => _cache.Invalidate(digest);

    public void InvalidateAll()
    {
        Interlocked.Increment(ref _anchorGeneration);
        _cache.InvalidateAll();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9100, Level = LogLevel.Debug, Message = "Trust decision for {Repository}@{Digest}: policy {Policy}, allowed {Allowed}, {Violations} violation(s), {ElapsedMs} ms")]
        public static partial void Evaluated(ILogger logger, string repository, Digest digest, string? policy, bool allowed, int violations, long elapsedMs);

        [LoggerMessage(EventId = 9102, Level = LogLevel.Debug, Message = "Trust evaluation of {Repository}@{Digest} ({Signatures} signatures verified): anchors {AnchorsMs:F2} ms, discovery {DiscoveryMs:F2} ms, verification {VerificationMs:F2} ms, scan facts {ScanMs:F2} ms, rules {EvaluationMs:F2} ms")]
        public static partial void Spans(ILogger logger, string repository, Digest digest, int signatures, double anchorsMs, double discoveryMs, double verificationMs, double scanMs, double evaluationMs);

        [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "The {Format} verifier threw for {Signature}; the signature does not count")]
        public static partial void VerifierFailed(ILogger logger, string format, string signature, Exception exception);
    }
}
