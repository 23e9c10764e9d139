using System.Text;
using Bollard.Core.Oci;
using Bollard.Trust.Keys;
using Bollard.Trust.Policy;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Tests.Policy;

/// <summary>Keys, policies and verdicts shared by the policy tests.</summary>
internal static class PolicyTestData
{
    public static readonly LocalSigner Dev = LocalSigner.GenerateEcdsaP256();
    public static readonly LocalSigner Ci = LocalSigner.GenerateEcdsaP256();
    public static readonly LocalSigner Release = LocalSigner.GenerateEcdsaP256();

    public static readonly Digest Image = Digest.Sha256Of(Encoding.UTF8.GetBytes("image manifest"));
    public static readonly Digest OtherImage = Digest.Sha256Of(Encoding.UTF8.GetBytes("another image manifest"));

    public static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s, Bollard.Trust.Tests.Policy.TestJson.Default.String);

    /// <summary>A policy with key signers dev, ci, release and the given requirement (JSON) and extra top-level fields.</summary>
    /// <summary>Replaces @DEV, @CI, @RELEASE with the test keys' public PEMs as JSON strings.</summary>
    public static string WithKeys(string template) => template
        .Replace("@DEV", Json(Dev.PublicKeyPem), StringComparison.Ordinal)
        .Replace("@CI", Json(Ci.PublicKeyPem), StringComparison.Ordinal)
        .Replace("@RELEASE", Json(Release.PublicKeyPem), StringComparison.Ordinal);

    /// <summary>A policy with key signers dev, ci, release and the given requirement (JSON) and extra top-level fields.</summary>
    public static TrustPolicy KeyPolicy(string require, string mode = "enforce", string extra = "") => TrustPolicyParser.Parse(WithKeys("""
        {"name":"prod","namespace":"prod/**","mode":"@MODE",
         "signers":{"dev":{"key":@DEV},"ci":{"key":@CI},"release":{"key":@RELEASE}},
         "require":@REQUIRE@EXTRA}
        """).Replace("@MODE", mode, StringComparison.Ordinal).Replace("@REQUIRE", require, StringComparison.Ordinal).Replace("@EXTRA", extra, StringComparison.Ordinal));

    /// <summary>A verdict as a verifier makes it for a signature by <paramref name="signer"/>, asked about every anchor of <paramref name="anchors"/>.</summary>
    public static SignatureVerdict Signed(string signer, IEnumerable<string> anchors, Digest? over = null, int layer = 0, params string[] problems) => new()
    {
        Format = SignatureFormat.Cosign,
        SignatureManifest = Digest.Sha256Of(Encoding.UTF8.GetBytes("sig manifest")),
        LayerIndex = layer,
        SignedDigest = (over ?? Image).ToString(),
        Signer = new SignerInfo { KeyAlgorithm = "ECDSA P-256", KeyFingerprint = signer + "-fingerprint" },
        Problems = problems,
        Anchors = anchors.Select(a => a == signer && problems.Length == 0
            ? new AnchorResult(a, true, $"verified with key {a} (ECDSA P-256, SHA-256)")
            : new AnchorResult(a, false, $"signature does not verify with key {a}")).ToList(),
    };

    public static readonly string[] Three = ["dev", "ci", "release"];

    public static IReadOnlyList<SignatureVerdict> SignedBy(params string[] signers) => signers.Select((s, i) => Signed(s, Three, layer: i)).ToList();

    public static PolicyFacts Facts(IReadOnlyList<SignatureVerdict> verdicts, ScanFacts? scan = null) => new()
    {
        Repository = "prod/app",
        Digest = Image,
        Signatures = verdicts,
        Scan = scan,
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TestJson : System.Text.Json.Serialization.JsonSerializerContext;
