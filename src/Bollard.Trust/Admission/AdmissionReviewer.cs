using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Trust.Policy;
using Microsoft.Extensions.Logging;

namespace Bollard.Trust.Admission;

/// <summary>
/// Decides an AdmissionReview (docs/admission.md): finds the pod spec of a Pod or pod-template owner, takes every
/// container, initContainer and ephemeralContainer image once, resolves this registry's images to their manifest
/// digest (a tag through <see cref="IManifestReader"/>, a digest as given), asks the policy engine
/// (<see cref="ITrustDecisions"/>, cached per digest) for each, and applies <see cref="AdmissionOptions.ExternalImages"/>
/// to other registries' images. The review is denied when any image is. Thread-safe.
/// Bounded: at most <see cref="AdmissionOptions.MaxContainers"/> containers, <see cref="AdmissionOptions.MaxConcurrency"/>
/// images at once, and <see cref="AdmissionOptions.Timeout"/> for the whole review (what is undecided then is denied).
/// </summary>
public sealed partial class AdmissionReviewer
{
    /// <summary>Kubernetes truncates a warning over 256 characters and all of them over 4096 (extensible-admission-controllers, "Response").</summary>
    public const int MaxWarningLength = 256, MaxWarningsLength = 4096;

    /// <summary>Bound on <see cref="AdmissionVerdict.Message"/> (kubectl prints it whole).</summary>
    public const int MaxMessageLength = 8192;

    private readonly IManifestReader _manifests;
    private readonly Func<ITrustDecisions?> _decisions;
    private readonly AdmissionOptions _options;
    private readonly Func<RegistryHosts> _hosts;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="decisions">The engine; null (none registered) denies every image of this registry with that reason.</param>
    /// <param name="hosts">This registry's host names (read per review: the listen port is known only once the server runs).</param>
    public AdmissionReviewer(IManifestReader manifests, Func<ITrustDecisions?> decisions, AdmissionOptions options, Func<RegistryHosts> hosts,
        TimeProvider time, ILogger<AdmissionReviewer> logger) =>
        (_manifests, _decisions, _options, _hosts, _time, _logger) = (manifests, decisions, options, hosts, time, logger);

    /// <param name="mutate">Build the JSON Patch that pins this registry's images to their digests.</param>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> fired (the caller went away).</exception>
    public async Task<AdmissionVerdict> ReviewAsync(AdmissionReview review, bool mutate, CancellationToken ct)
    {
        string what = $"{WorkloadKinds.Describe(review.Group, review.Kind)} {Target(review)}".TrimEnd();
        switch (review.Operation)
        {
            case "DELETE":
            case "CONNECT":
                return NotChecked($"{review.Operation} of {what}: not checked (it starts no container)");
            case "CREATE":
            case "UPDATE":
                break;
            default:
                return Denied($"operation '{AdmissionReview.Clip(review.Operation)}' is not CREATE, UPDATE, DELETE or CONNECT");
        }
        var path = WorkloadKinds.PodSpecPath(review.Group, review.Kind);
        bool ephemeral = review.SubResource == "ephemeralcontainers" && review.Kind == "Pod";
        if (!string.IsNullOrEmpty(review.SubResource) && !ephemeral)
            return NotChecked($"{review.Operation} of subresource '{AdmissionReview.Clip(review.SubResource)}' of {what}: not checked (only the object itself and pods/ephemeralcontainers carry images)");
        if (path is null)
            return NotChecked($"{review.Operation} of {what}: not checked ({WorkloadKinds.Describe(review.Group, review.Kind)} has no pod template)");
        if (review.NewObject is not { } obj)
            return Denied($"{review.Operation} of {what}: request.object is missing or not a JSON object");
        string? objectKind = AdmissionReview.String(obj, "kind");
        if (objectKind != review.Kind)
            return Denied(objectKind is null
                ? $"{review.Operation} of {what}: the object has no kind (the request says {review.Kind})"
                : $"{review.Operation} of {what}: the object is a {AdmissionReview.Clip(objectKind)}, but the request says {review.Kind}");

        var read = PodImages.Read(obj, path, _options.MaxContainers);
        if (read.Problem is { } problem) return Denied($"{review.Operation} of {what}: {problem}");
        if (review.Operation == "UPDATE" && BeingDeleted(obj) && review.OldObject is { } old && BeingDeleted(old)
            && PodImages.Read(old, path, _options.MaxContainers) is { Problem: null } before
            && PodImages.Signature(before.Containers) == PodImages.Signature(read.Containers))
            return NotChecked($"UPDATE of {what}: not checked (it is being deleted and no image changed, e.g. a finalizer was removed)");

        bool template = WorkloadKinds.IsTemplate(review.Group, review.Kind);
        var checks = await CheckImagesAsync(read.Containers, template, ct).ConfigureAwait(false);
        return Compose(what, checks, mutate);
    }

    private static bool BeingDeleted(JsonElement obj) =>
        obj.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object
        && m.TryGetProperty("deletionTimestamp", out var t) && t.ValueKind == JsonValueKind.String;

    /// <summary><c>namespace/name</c>: the request's name, else the object's (a CREATE names none yet), else its generateName prefix.</summary>
    private static string Target(AdmissionReview review)
    {
        JsonElement? metadata = review.NewObject is { } o && o.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : null;
        string name = review.Name is { Length: > 0 } n ? n
            : metadata is { } md && AdmissionReview.String(md, "name") is { Length: > 0 } on ? on
            : metadata is { } mg && AdmissionReview.String(mg, "generateName") is { Length: > 0 } gn ? gn + "*"
            : "(unnamed)";
        return AdmissionReview.Clip(review.Namespace is { Length: > 0 } ns ? $"{ns}/{name}" : name);
    }

    private async Task<IReadOnlyList<ImageCheck>> CheckImagesAsync(IReadOnlyList<ContainerImage> containers, bool template, CancellationToken ct)
    {
        var groups = containers.GroupBy(c => c.Image ?? "", StringComparer.Ordinal).ToList();
        var results = new ImageCheck?[groups.Count];
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        // Two containers naming one digest differently (tag and digest) ask the engine once.
        var decided = new ConcurrentDictionary<(RepositoryName, Digest), Lazy<Task<PolicyDecision>>>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, groups.Count),
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = linked.Token },
                async (i, token) => results[i] = await CheckAsync(groups[i].Key, [.. groups[i]], template, decided, token).ConfigureAwait(false))
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Log.TimedOut(_logger, _options.Timeout.TotalSeconds);
        }
        string late = $"not decided within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s (Admission:Timeout)";
        return [.. results.Select((r, i) => r ?? new ImageCheck
        {
            Image = groups[i].Key, Containers = [.. groups[i]], Outcome = ImageOutcome.Denied, Reasons = [late],
        })];
    }

    private async Task<ImageCheck> CheckAsync(string image, IReadOnlyList<ContainerImage> containers, bool template,
        ConcurrentDictionary<(RepositoryName, Digest), Lazy<Task<PolicyDecision>>> decided, CancellationToken ct)
    {
        ImageCheck Result(ImageOutcome outcome, params string[] reasons) =>
            new() { Image = image, Containers = containers, Outcome = outcome, Reasons = reasons };

        if (string.IsNullOrWhiteSpace(image))
            // Kubernetes lets a template leave the image empty for a controller to fill in later (OpenShift image triggers,
            // kyverno's empty-image case); each Pod made from it is checked when it is created. A Pod must name its image.
            return template
                ? Result(ImageOutcome.Warned, $"{string.Join(", ", containers)} has no image yet; the Pods made from this template are checked when they are created")
                : Result(ImageOutcome.Denied, $"{string.Join(", ", containers)} has no image");
        if (!ImageReference.TryParse(image, out var reference, out string? problem))
            return Result(ImageOutcome.Denied, $"not a valid image reference: {problem}");
        if (!_hosts().Contains(reference.Host))
            return _options.ExternalImages switch
            {
                ExternalImageRule.Allow => Result(ImageOutcome.NotChecked, $"image of another registry ({reference.Host}), allowed unchecked (Admission:ExternalImages: allow)") with { Reference = reference },
                ExternalImageRule.Warn => Result(ImageOutcome.Warned, $"image of another registry ({reference.Host}), allowed unchecked (Admission:ExternalImages: warn)") with { Reference = reference },
                _ => Result(ImageOutcome.Denied, $"image of another registry ({reference.Host}); only this registry's images are admitted (Admission:ExternalImages: deny)") with { Reference = reference },
            };
        var check = Result(ImageOutcome.Denied) with { Reference = reference };
        try
        {
            long resolving = Stopwatch.GetTimestamp();
            var manifest = await _manifests.GetAsync(reference.Repository, reference.Reference, ct).ConfigureAwait(false);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                double elapsed = Stopwatch.GetElapsedTime(resolving).TotalMilliseconds;
                Log.Resolved(_logger, image, elapsed);
            }
            if (manifest is null)
                return check with
                {
                    Reasons = [reference.Digest is { } d
                        ? $"not in this registry: repository {reference.Repository} has no manifest {d}"
                        : $"not in this registry: repository {reference.Repository} has no tag {reference.Reference.Tag}"],
                };
            check = check with { Digest = manifest.Digest };
            if (_decisions() is not { } engine)
                return check with { Reasons = ["no policy engine is running on this server, so nothing can be admitted"] };
            var decision = await decided.GetOrAdd((reference.Repository, manifest.Digest),
                key => new Lazy<Task<PolicyDecision>>(() => engine.DecideAsync(key.Item1, key.Item2, DecisionPoint.Admission, ct).AsTask())).Value.ConfigureAwait(false);
            check = check with { Decision = decision };
            string policy = decision.Policy is { } p ? $"policy {p}{(decision.PolicyVersion is { } v ? $" v{v.ToString(CultureInfo.InvariantCulture)}" : "")}" : "no policy applies";
            if (!decision.Allowed)
                return check with { Reasons = decision.Violations.Count > 0 ? [$"{policy} ({Mode(decision.Mode)}):", .. decision.Violations] : [$"denied by {policy} ({Mode(decision.Mode)})"] };
            if (decision.Violated)
                return check with { Outcome = ImageOutcome.Warned, Reasons = [$"{policy} ({Mode(decision.Mode)}) violated:", .. decision.Violations] };
            return check with { Outcome = ImageOutcome.Allowed, Reasons = [decision.Policy is null ? "allowed: no policy applies" : $"allowed by {policy}"] };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Fail closed with the reason: a locked database or a broken policy must not admit an unchecked image.
            Log.DecisionFailed(_logger, image, e);
            return check with { Reasons = [$"could not be decided: {e.Message}"] };
        }
    }

    private static string Mode(PolicyMode mode) => mode switch
    {
        PolicyMode.Enforce => "enforce",
        PolicyMode.Warn => "warn",
        _ => "off",
    };

    private static AdmissionVerdict Compose(string what, IReadOnlyList<ImageCheck> checks, bool mutate)
    {
        var denied = checks.Where(c => c.Outcome == ImageOutcome.Denied).ToList();
        bool allowed = denied.Count == 0;
        var message = new StringBuilder();
        if (allowed) message.Append(CultureInfo.InvariantCulture, $"Bollard admitted {what}: ");
        else message.Append(CultureInfo.InvariantCulture, $"Bollard denied {what}: {denied.Count} of {checks.Count} images refused: ");
        message.AppendJoin(" | ", (allowed ? checks : denied.Concat(checks.Where(c => c.Outcome != ImageOutcome.Denied))).Select(c => c.Describe()));

        var warnings = new List<string>();
        int total = 0;
        var warned = checks.Where(c => c.Outcome == ImageOutcome.Warned).ToList();
        foreach (var (c, i) in warned.Select((c, i) => (c, i)))
        {
            string w = Clip(c.Describe(), MaxWarningLength);
            if (total + w.Length > MaxWarningsLength - 64)
            {
                warnings.Add($"... and {warned.Count - i} more warnings (see the audit log)");
                break;
            }
            warnings.Add(w);
            total += w.Length;
        }

        var patch = new List<PatchOperation>();
        if (mutate && allowed)
            foreach (var c in checks)
                if (c.Pinned is { } pinned)
                    foreach (var container in c.Containers)
                        if (container.Image != pinned) patch.Add(new PatchOperation(container.ImagePath, pinned));
        return new AdmissionVerdict
        {
            Allowed = allowed, Message = Clip(message.ToString(), MaxMessageLength), Warnings = warnings, Patch = patch, Images = checks,
        };
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 3)] + "...";

    private static AdmissionVerdict NotChecked(string message) => new() { Allowed = true, Message = message };

    private static AdmissionVerdict Denied(string message) => new() { Allowed = false, Message = "Bollard denied the request: " + Clip(message, MaxMessageLength) };

    private static partial class Log
    {
        [LoggerMessage(EventId = 9300, Level = LogLevel.Warning, Message = "Admission: the decision for image {Image} failed; it is denied")]
        public static partial void DecisionFailed(ILogger logger, string image, Exception e);

        [LoggerMessage(EventId = 9302, Level = LogLevel.Debug, Message = "Admission: {Image} resolved in {ElapsedMs:F2} ms")]
        public static partial void Resolved(ILogger logger, string image, double elapsedMs);

        [LoggerMessage(EventId = 9301, Level = LogLevel.Warning, Message = "Admission: a review was not decided within {Seconds}s; the undecided images are denied")]
        public static partial void TimedOut(ILogger logger, double seconds);
    }
}
