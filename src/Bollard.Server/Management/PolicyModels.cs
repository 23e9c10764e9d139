using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Server.Management;

/// <summary><c>PUT /api/v1/policies/{name}</c>: the policy document (docs/trust.md), a note, and (admins only) whether it is an admin floor.</summary>
public sealed record PolicyPutRequest(JsonElement? Document, string? Comment, bool? Locked);

/// <summary><c>POST /api/v1/policies/dry-run</c>: a document, not stored.</summary>
public sealed record PolicyDryRunRequest(JsonElement? Document);

/// <summary><c>POST /api/v1/policies/test</c>: the CI enforcement point.</summary>
public sealed record PolicyTestRequest(string? Repository, string? Reference);

/// <summary>A policy version; <see cref="Document"/> is null for a delete.</summary>
public sealed record PolicyView(
    string Name, long Version, string Namespace, string Mode, bool Locked, bool Deleted, string ChangedBy, DateTimeOffset ChangedAt, string? Comment, JsonElement? Document);

/// <summary>Why one signature did or did not count through one signer of the policy.</summary>
public sealed record AnchorResultView(string Signer, bool Trusted, string Reason);

public sealed record SignerView(
    string? KeyFingerprint, string? KeyAlgorithm, string? CertificateSubject, string? CertificateIssuer, IReadOnlyList<string> SubjectAlternativeNames, string? OidcIssuer);

/// <summary>One signature found next to the image and what verifying it showed.</summary>
public sealed record SignatureVerdictView(
    string Format, string SignatureManifest, int LayerIndex, string? SignedDigest, string? SignedReference, SignerView? Signer, DateTimeOffset? SignedAt,
    bool TimestampVerified, IReadOnlyList<string> Problems, IReadOnlyList<AnchorResultView> Signers, IReadOnlyList<string> TrustedBy);

/// <summary>A policy decision with every reason.</summary>
public sealed record PolicyDecisionView(
    string Repository, string Digest, string? Reference, bool Allowed, bool Violated, string Mode, string? Policy, long? PolicyVersion, IReadOnlyList<string> Violations,
    IReadOnlyList<string> Notes, IReadOnlyList<SignatureVerdictView> Signatures, IReadOnlyList<string> Advisories, DateTimeOffset EvaluatedAt, bool Cached);

/// <summary>One image of a dry run: what enforcing the document would do to it.</summary>
public sealed record DryRunImageView(string Repository, string Digest, IReadOnlyList<string> Tags, bool Allowed, bool Violated, IReadOnlyList<string> Violations, IReadOnlyList<string> Notes);

/// <summary><c>POST /api/v1/policies/dry-run</c>: every image of the document's namespace, evaluated as if the document were stored.</summary>
public sealed record DryRunView(
    string Policy, string Namespace, string Mode, int Evaluated, int Denied, int Warned, int NotEvaluated, IReadOnlyList<DryRunImageView> Images);

/// <summary>One entry of <c>GET /api/v1/decisions</c>.</summary>
public sealed record DecisionRecordView(
    long Id, DateTimeOffset Time, string Repository, string Digest, string Point, bool Allowed, string Mode, string? Policy, long? PolicyVersion,
    IReadOnlyList<string> Reasons, string Principal);

/// <summary>The JSON of the policy and decision endpoints (issue 9), added to the resolver chain by <c>AddBollardTrust</c>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PolicyPutRequest))]
[JsonSerializable(typeof(PolicyDryRunRequest))]
[JsonSerializable(typeof(PolicyTestRequest))]
[JsonSerializable(typeof(PolicyView))]
[JsonSerializable(typeof(List<PolicyView>))]
[JsonSerializable(typeof(PolicyDecisionView))]
[JsonSerializable(typeof(DryRunView))]
[JsonSerializable(typeof(List<DecisionRecordView>))]
[JsonSerializable(typeof(SignatureReportView))]
public sealed partial class PolicyApiJson : JsonSerializerContext;

/// <summary>
/// <c>GET /api/v1/repositories/{name}/manifests/{digest}/signatures</c>: every signature found, verified against the
/// signers of the policy covering the repository (<see cref="Policy"/>; none: no anchors, the verdicts still show the
/// signer and any problem). <see cref="Trusted"/> counts the signatures that count through at least one signer.
/// </summary>
public sealed record SignatureReportView(
    string Repository, string Digest, string? Policy, long? PolicyVersion, IReadOnlyList<string> Signers, IReadOnlyDictionary<string, string> SignerProblems,
    int Trusted, IReadOnlyList<SignatureVerdictView> Signatures, IReadOnlyList<string> Notes);
