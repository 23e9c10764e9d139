using System.Collections.Concurrent;
using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;
using Bollard.Trust.Admission;
using Bollard.Trust.Policy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bollard.Trust.Tests.Admission;

/// <summary>A registry of named manifests (tags and digests) for the reviewer to resolve against.</summary>
internal sealed class FakeManifests : IManifestReader
{
    private readonly ConcurrentDictionary<(string Repository, string Reference), ManifestRecord> _manifests = new();

    public int Reads;

    /// <summary>Adds a manifest under its digest and, when given, a tag; returns its digest.</summary>
    public Digest Add(string repository, string? tag = null, string? content = null)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(content ?? $"{{\"schemaVersion\":2,\"name\":\"{repository}:{tag}\"}}");
        var digest = Digest.Sha256Of(bytes);
        var record = new ManifestRecord(digest, "application/vnd.oci.image.manifest.v1+json", bytes, null, null, null, DateTimeOffset.UnixEpoch);
        _manifests[(repository, digest.ToString())] = record;
        if (tag is not null) _manifests[(repository, tag)] = record;
        return digest;
    }

    /// <summary>Adds a manifest known only by a given digest (the fixtures' placeholder digests).</summary>
    public void AddDigest(string repository, string digest) =>
        _manifests[(repository, digest)] = new ManifestRecord(Digest.Parse(digest), "application/vnd.oci.image.manifest.v1+json", [], null, null, null, DateTimeOffset.UnixEpoch);

    public ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Reference reference, CancellationToken ct)
    {
        Interlocked.Increment(ref Reads);
        return ValueTask.FromResult(_manifests.TryGetValue((repository.Value, reference.ToString()), out var m) ? m : null);
    }
}

/// <summary>An engine whose answer per repository is set by the test; counts the questions it was asked.</summary>
internal sealed class FakeDecisions : ITrustDecisions
{
    public Func<RepositoryName, Digest, PolicyDecision> Decide { get; set; } = (r, d) => Allow(r, d);

    public ConcurrentBag<(RepositoryName, Digest, DecisionPoint)> Asked { get; } = [];

    public TimeSpan Delay { get; set; }

    public async ValueTask<PolicyDecision> DecideAsync(RepositoryName repository, Digest digest, DecisionPoint point, CancellationToken ct)
    {
        Asked.Add((repository, digest, point));
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, ct);
        return Decide(repository, digest);
    }

    public static PolicyDecision Allow(RepositoryName r, Digest d, string? policy = "prod") => new()
    {
        Allowed = true, Mode = policy is null ? PolicyMode.Off : PolicyMode.Enforce, Policy = policy, PolicyVersion = policy is null ? null : 1,
        Repository = r.Value, Digest = d.ToString(), EvaluatedAt = DateTimeOffset.UnixEpoch,
    };

    public static PolicyDecision Deny(RepositoryName r, Digest d, params string[] violations) => new()
    {
        Allowed = false, Mode = PolicyMode.Enforce, Policy = "prod", PolicyVersion = 3, Repository = r.Value, Digest = d.ToString(),
        Violations = violations, EvaluatedAt = DateTimeOffset.UnixEpoch,
    };

    public static PolicyDecision Warn(RepositoryName r, Digest d, params string[] violations) => new()
    {
        Allowed = true, Mode = PolicyMode.Warn, Policy = "audit", PolicyVersion = 2, Repository = r.Value, Digest = d.ToString(),
        Violations = violations, EvaluatedAt = DateTimeOffset.UnixEpoch,
    };
}

internal static class Reviewers
{
    public static AdmissionReviewer Create(FakeManifests manifests, ITrustDecisions? decisions, AdmissionOptions options) =>
        new(manifests, () => decisions, options, () => new RegistryHosts(options.RegistryHosts), TimeProvider.System, NullLogger<AdmissionReviewer>.Instance);

    public static async Task<AdmissionVerdict> ReviewAsync(this AdmissionReviewer reviewer, string json, bool mutate = false)
    {
        using var review = AdmissionReview.Parse(Encoding.UTF8.GetBytes(json));
        return await reviewer.ReviewAsync(review, mutate, CancellationToken.None);
    }

    public static async Task<AdmissionVerdict> ReviewAsync(this AdmissionReviewer reviewer, byte[] json, bool mutate = false)
    {
        using var review = AdmissionReview.Parse(json);
        return await reviewer.ReviewAsync(review, mutate, CancellationToken.None);
    }

    /// <summary>Wraps an object (JSON) in a v1 AdmissionReview request the way the API server sends it.</summary>
    public static string Wrap(string objectJson, string group, string version, string kind, string operation = "CREATE",
        string apiVersion = AdmissionReview.V1, string? oldObjectJson = null, string? subResource = null) =>
        "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"7d1b0d4c-3c1c-4b1e-9f55-6f1d5c0b2a11\","
        + $"\"kind\":{{\"group\":\"{group}\",\"version\":\"{version}\",\"kind\":\"{kind}\"}},"
        + $"\"resource\":{{\"group\":\"{group}\",\"version\":\"{version}\",\"resource\":\"{kind.ToLowerInvariant()}s\"}},"
        + (subResource is null ? "" : $"\"subResource\":\"{subResource}\",")
        + $"\"namespace\":\"prod\",\"operation\":\"{operation}\",\"userInfo\":{{\"username\":\"admin\"}},"
        + "\"object\":" + objectJson + ",\"oldObject\":" + (oldObjectJson ?? "null") + ",\"dryRun\":false}}";
}
