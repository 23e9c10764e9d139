using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Core.Oci;
using Bollard.Trust.Cosign;
using Bollard.Trust.Keys;
using Bollard.Trust.Notation;
using Bollard.Trust.Signatures;
using Bollard.Trust.Sigstore;

namespace Bollard.TrustBench;

/// <summary>
/// Single-thread verification rate of one signature per format: warm-up, then the median of 5 rounds of ~2 s. The
/// <see cref="FoundSignature"/>s are built from the producers' output as <c>SignatureDiscovery</c> builds them from a
/// registry, and every verdict must be trusted by the one anchor.
/// </summary>
internal static class VerifyBench
{
    private const string Registry = "registry.bench:5000";
    private const string Repository = "bench/app";
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(2);

    public static void Run()
    {
        var now = DateTimeOffset.UtcNow;
        var image = Digest.Sha256Of("a bench image manifest"u8);
        var input = new SigningInput(Registry, Repository, image, MediaTypes.OciManifest, 481, now);
        var rows = new List<(string Name, double OpsPerSecond, double[] Rounds)>();

        var key = LocalSigner.GenerateEcdsaP256();
        var cosign = (CosignLayer)new CosignProducer().Create(input, key);
        var cosignFound = Found(SignatureFormat.Cosign, image, cosign.Payload, SignatureMediaTypes.CosignSimpleSigning, cosign.Annotations, null, null);
        rows.Add(Measure("cosign (ECDSA P-256 key)", new CosignVerifier(), cosignFound, new VerificationRequest(image, Repository, [new KeyAnchor("k", key.PublicKeyPem)], now)));

        var bundle = (ReferrerArtifact)new SigstoreBundleProducer().Create(input, key);
        var bundleFound = Found(SignatureFormat.SigstoreBundle, image, bundle.Envelope, bundle.LayerMediaType, null, bundle.ManifestAnnotations, bundle.ArtifactType);
        rows.Add(Measure("Sigstore bundle v0.3 (ECDSA P-256 key)", new SigstoreBundleVerifier(), bundleFound, new VerificationRequest(image, Repository, [new KeyAnchor("k", key.PublicKeyPem)], now)));

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("C=US, O=Bollard Bench, CN=Bench CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("C=US, O=Bollard Bench, CN=release", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        using var leaf = leafRequest.Create(ca, now.AddDays(-1), now.AddDays(30), [1, 2, 3, 4]);
        var notationSigner = LocalSigner.FromPem(leafKey.ExportPkcs8PrivateKeyPem(), rsaPss: false, [leaf.ExportCertificatePem(), ca.ExportCertificatePem()]);
        var jws = (ReferrerArtifact)new NotationJwsProducer().Create(input, notationSigner);
        var jwsFound = Found(SignatureFormat.NotationJws, image, jws.Envelope, jws.LayerMediaType, null, jws.ManifestAnnotations, jws.ArtifactType);
        var notationAnchor = new NotationAnchor("ca") { CertificatesPem = [ca.ExportCertificatePem()] };
        rows.Add(Measure("Notation JWS (ES256, leaf + CA chain)", new NotationJwsVerifier(), jwsFound, new VerificationRequest(image, Repository, [notationAnchor], now)));

        Console.WriteLine();
        Console.WriteLine("| signature verification, 1 thread | ops/s (median of 5 × 2 s) | rounds |");
        Console.WriteLine("| --- | ---: | --- |");
        foreach (var (name, ops, rounds) in rows)
            Console.WriteLine($"| {name} | {ops:N0} | {string.Join(", ", rounds.Select(r => r.ToString("N0")))} |");
        Console.WriteLine();
    }

    private static FoundSignature Found(SignatureFormat format, Digest subject, byte[] content, string mediaType,
        IReadOnlyDictionary<string, string>? annotations, IReadOnlyDictionary<string, string>? manifestAnnotations, string? artifactType) => new()
    {
        Format = format, Repository = Repository, Subject = subject, SignatureManifest = Digest.Sha256Of(content.Concat("manifest"u8.ToArray()).ToArray()),
        LayerIndex = 0, LayerDigest = Digest.Sha256Of(content), MediaType = mediaType, Content = content,
        Annotations = annotations ?? new Dictionary<string, string>(),
        ManifestAnnotations = manifestAnnotations ?? new Dictionary<string, string>(), ArtifactType = artifactType,
    };

    private static (string, double, double[]) Measure(string name, ISignatureVerifier verifier, FoundSignature signature, VerificationRequest request)
    {
        Check(name, verifier.Verify(signature, request));
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed < TimeSpan.FromSeconds(1)) Check(name, verifier.Verify(signature, request));
        var rounds = new double[5];
        for (int r = 0; r < rounds.Length; r++)
        {
            long n = 0;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < Round)
            {
                Check(name, verifier.Verify(signature, request));
                n++;
            }
            rounds[r] = n / watch.Elapsed.TotalSeconds;
        }
        Console.Error.WriteLine($"verify {name}: {string.Join(", ", rounds.Select(x => x.ToString("N0")))} ops/s");
        return (name, rounds.Order().ElementAt(rounds.Length / 2), rounds);
    }

    private static void Check(string name, SignatureVerdict verdict)
    {
        if (verdict.Problems.Count > 0 || verdict.Anchors.Count != 1 || !verdict.Anchors[0].Trusted)
            throw new BenchFailedException($"{name}: verdict not trusted: problems [{string.Join("; ", verdict.Problems)}], anchors [{string.Join("; ", verdict.Anchors.Select(a => $"{a.Anchor}: {a.Trusted} {a.Reason}"))}]");
    }
}
