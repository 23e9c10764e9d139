using System.Text.Json;
using Bollard.Core.Auth;
using Bollard.Core.Trust;
using Bollard.Server.Trust;
using Bollard.Trust.Policy;
using Bollard.Trust.Signatures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>/api/v1/policies</c> (trust policies: list, get, create or replace, delete, history, dry run, test) and
/// <c>/api/v1/decisions</c> (recent decisions). Rights are <see cref="PolicyService"/>'s and <see cref="PolicyEvaluation"/>'s.
/// </summary>
internal static class PolicyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/policies", async (HttpContext http, PolicyService policies) =>
            Results.Ok((await policies.ListAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(View).ToList()))
            .WithSummary("List trust policies, current versions (authenticated)");

        api.MapGet("/policies/{name}", async (HttpContext http, string name, string? version, PolicyService policies) =>
        {
            long? v = version is null ? null : long.TryParse(version, out long n) && n > 0 ? n : throw new ManagementException(ManagementError.BadRequest, $"version '{version}' is not a positive number");
            return Results.Ok(View(await policies.GetAsync(await ManagementApi.CallerAsync(http), name, v, http.RequestAborted)));
        }).WithSummary("A trust policy, or one of its versions with ?version=N (authenticated)");

        api.MapPut("/policies/{name}", async (HttpContext http, string name, PolicyPutRequest body, PolicyService policies) =>
        {
            var (version, created) = await policies.PutAsync(await ManagementApi.CallerAsync(http), name, Raw(body.Document), body.Comment, body.Locked, http.RequestAborted);
            return created ? Results.Created($"{ManagementApi.Prefix}/policies/{name}", View(version)) : Results.Ok(View(version));
        }).WithSummary("Create or replace a trust policy: a new version (admin, or maintainer of a namespace covering the policy's; a maintainer may only raise the mode of an admin-locked policy)");

        api.MapDelete("/policies/{name}", async (HttpContext http, string name, string? comment, PolicyService policies) =>
        {
            await policies.DeleteAsync(await ManagementApi.CallerAsync(http), name, comment, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Delete a trust policy: a tombstone version; its history stays (admin, or maintainer of its namespace unless it is admin-locked)");

        api.MapGet("/policies/{name}/history", async (HttpContext http, string name, int? limit, PolicyService policies) =>
            Results.Ok((await policies.HistoryAsync(await ManagementApi.CallerAsync(http), name, limit, http.RequestAborted)).Select(View).ToList()))
            .WithSummary("Every version of a trust policy, newest first, with who changed it when (authenticated)");

        api.MapPost("/policies/dry-run", async (HttpContext http, PolicyDryRunRequest body, PolicyEvaluation evaluation) =>
        {
            var run = await evaluation.DryRunAsync(await ManagementApi.CallerAsync(http), Raw(body.Document), http.RequestAborted);
            var images = run.Images.Select(i => new DryRunImageView(i.Repository, i.Decision.Digest, i.Tags, i.Decision.Allowed, i.Decision.Violated, i.Decision.Violations, i.Decision.Notes)).ToList();
            return Results.Ok(new DryRunView(run.Policy.Name, run.Policy.Namespace.Value, DecisionRecorder.ModeName(run.Policy.Mode), images.Count,
                images.Count(i => !i.Allowed), images.Count(i => i.Allowed && i.Violated), run.NotEvaluated, images));
        }).WithSummary("Evaluate a policy document, not stored, against every image of its namespace: which would be denied and why (admin, or maintainer of the namespace)");

        api.MapPost("/policies/test", async (HttpContext http, PolicyTestRequest body, PolicyEvaluation evaluation) =>
        {
            var (decision, tag) = await evaluation.TestAsync(await ManagementApi.CallerAsync(http), body.Repository, body.Reference, http.RequestAborted);
            return Results.Ok(View(decision, tag));
        }).WithSummary("The policy decision for an image by tag or digest, with every reason: the CI enforcement point (anyone who may pull it)");

        api.MapGet("/repositories/{**path:manifestpath(signatures)}", async (HttpContext http, string path, PolicyEvaluation evaluation) =>
        {
            var (repository, digest) = ScanEndpoints.Split(path, "signatures");
            var report = await evaluation.SignaturesAsync(await ManagementApi.CallerAsync(http), repository, digest, http.RequestAborted);
            return Results.Ok(new SignatureReportView(repository, digest, report.Policy, report.PolicyVersion, report.Anchors, report.SignerProblems,
                report.Signatures.Count(s => s.TrustedBy.Any()), report.Signatures.Select(View).ToList(), report.Notes));
        }).WithSummary("The signatures of an image in every format (cosign .sig, Sigstore bundles, Notation), each with who signed what and whether it counts through each signer of the policy covering the repository (pull). Path: /repositories/{name}/manifests/{digest}/signatures");

        api.MapGet("/decisions", async (HttpContext http, string? repository, int? limit, PolicyEvaluation evaluation) =>
            Results.Ok((await evaluation.RecentAsync(await ManagementApi.CallerAsync(http), repository, limit, http.RequestAborted)).Select(View).ToList()))
            .WithSummary("Recent policy decisions with their reasons, newest first (admin: all; others: the repositories they may pull)");
    }

    private static string? Raw(JsonElement? document) => document is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } d ? d.GetRawText() : null;

    internal static PolicyView View(TrustPolicyVersion v) => new(
        v.Name, v.Version, v.Pattern, v.Mode, v.Locked, v.Deleted, v.ChangedBy, v.ChangedAt, v.Comment,
        v.Document is null ? null : JsonDocument.Parse(v.Document).RootElement.Clone());

    internal static DecisionRecordView View(TrustDecisionRecord r) =>
        new(r.Id, r.Time, r.Repository, r.Digest, r.Point, r.Allowed, r.Mode, r.Policy, r.PolicyVersion, r.Reasons, r.Principal);

    internal static PolicyDecisionView View(PolicyDecision d, string? reference) => new(
        d.Repository, d.Digest, reference, d.Allowed, d.Violated, DecisionRecorder.ModeName(d.Mode), d.Policy, d.PolicyVersion, d.Violations, d.Notes,
        d.Signatures.Select(View).ToList(), d.Advisories, d.EvaluatedAt, d.Cached);

    private static SignatureVerdictView View(SignatureVerdict v) => new(
        v.Format.ToString(), v.SignatureManifest.ToString(), v.LayerIndex, v.SignedDigest, v.SignedReference,
        v.Signer is { } s ? new SignerView(s.KeyFingerprint, s.KeyAlgorithm, s.CertificateSubject, s.CertificateIssuer, s.SubjectAlternativeNames, s.OidcIssuer) : null,
        v.SignedAt, v.TimestampVerified, v.Problems, v.Anchors.Select(a => new AnchorResultView(a.Anchor, a.Trusted, a.Reason)).ToList(), v.TrustedBy.ToList());
}
