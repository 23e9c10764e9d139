using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Server.Management;

/// <summary><c>POST /api/v1/signing-keys</c>: generate (no <see cref="PrivateKeyPem"/>) or import a key.</summary>
/// <param name="Algorithm">For generation: <c>ecdsa-p256</c> (default), <c>ecdsa-p384</c>, <c>ed25519</c>, <c>rsa-3072</c>, <c>rsa-3072-pss</c>.</param>
/// <param name="PrivateKeyPem">For import: PKCS#8 / SEC1 / PKCS#1 PEM (a certificate chain may follow, leaf first), or an encrypted cosign key.</param>
/// <param name="Password">The encrypted cosign key's password (never stored, never logged).</param>
/// <param name="RsaPss">An imported RSA key signs with PSS instead of PKCS#1 v1.5.</param>
public sealed record SigningKeyRequest(string? Name, string? Algorithm, string? PrivateKeyPem, string? Password, bool? RsaPss, IReadOnlyList<string>? Principals);

/// <summary><c>PUT /api/v1/signing-keys/{name}/principals</c>.</summary>
public sealed record SigningKeyPrincipalsRequest(IReadOnlyList<string>? Principals);

/// <summary>A key as the API shows it: public parts only, never the private key (sealed or not).</summary>
public sealed record SigningKeyView(string Name, string Algorithm, string Fingerprint, string PublicKeyPem, IReadOnlyList<string> CertificateChainPem,
    IReadOnlyList<string> Principals, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary><c>POST /api/v1/signing-keys/{name}/sign</c>.</summary>
/// <param name="Formats"><c>cosign</c>, <c>sigstore-bundle</c>, <c>notation</c>; default cosign and sigstore-bundle.</param>
public sealed record SignRequest(string? Repository, string? Reference, IReadOnlyList<string>? Formats);

public sealed record SignatureWrittenView(string Format, string Manifest, string? Tag, bool AlreadyPresent);

public sealed record SignResultView(string Key, string Fingerprint, string Repository, string Digest, IReadOnlyList<SignatureWrittenView> Signatures);

/// <summary>The JSON of the signing-key endpoints (issue 9), added to the resolver chain by <c>AddBollardSigning</c>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SigningKeyRequest))]
[JsonSerializable(typeof(SigningKeyPrincipalsRequest))]
[JsonSerializable(typeof(SigningKeyView))]
[JsonSerializable(typeof(List<SigningKeyView>))]
[JsonSerializable(typeof(SignRequest))]
[JsonSerializable(typeof(SignResultView))]
public sealed partial class SigningApiJson : JsonSerializerContext;
