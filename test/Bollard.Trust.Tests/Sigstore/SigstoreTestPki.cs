using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Trust.Sigstore;

namespace Bollard.Trust.Tests.Sigstore;

/// <summary>A Fulcio-like CA (code-signing leaves with a SAN email and the OIDC issuer extension) and a Rekor-like log key, for bundles made in tests.</summary>
internal sealed class SigstoreTestPki : IDisposable
{
    public SigstoreTestPki(string name = "test-fulcio")
    {
        RootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=bollard.test", RootKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-5), DateTimeOffset.UtcNow.AddYears(5));
        LogKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    }

    public ECDsa RootKey { get; }

    public X509Certificate2 Root { get; }

    public ECDsa LogKey { get; }

    public byte[] LogId => SHA256.HashData(LogKey.ExportSubjectPublicKeyInfo());

    /// <summary>A leaf for <paramref name="email"/> with Fulcio's issuer extension, valid ten minutes from <paramref name="notBefore"/>.</summary>
    public (X509Certificate2 Leaf, ECDsa Key) Issue(string email, string issuer, DateTimeOffset notBefore, bool codeSigning = true)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(email);
        request.CertificateExtensions.Add(san.Build(true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (codeSigning) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, issuer);
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.57264.1.8", writer.Encode(), false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Root, notBefore, notBefore.AddMinutes(10), serial);
        return (X509CertificateLoader.LoadCertificate(issued.RawData), key);
    }

    /// <summary>A trusted_root.json with this CA and log (protobuf JSON, as sigstore clients read it).</summary>
    public string TrustedRootJson(bool includeLog = true) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        ["tlogs"] = includeLog
            ? new object[]
            {
                new Dictionary<string, object?>
                {
                    ["baseUrl"] = "https://rekor.test",
                    ["hashAlgorithm"] = "SHA2_256",
                    ["publicKey"] = new Dictionary<string, object?>
                    {
                        ["rawBytes"] = Convert.ToBase64String(LogKey.ExportSubjectPublicKeyInfo()),
                        ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                        ["validFor"] = new Dictionary<string, string> { ["start"] = "2020-01-01T00:00:00Z" },
                    },
                    ["logId"] = new Dictionary<string, string> { ["keyId"] = Convert.ToBase64String(LogId) },
                },
            }
            : [],
        ["certificateAuthorities"] = new object[]
        {
            new Dictionary<string, object?>
            {
                ["subject"] = new Dictionary<string, string> { ["organization"] = "bollard.test", ["commonName"] = "test-fulcio" },
                ["uri"] = "https://fulcio.test",
                ["certChain"] = new Dictionary<string, object> { ["certificates"] = new[] { new Dictionary<string, string> { ["rawBytes"] = Convert.ToBase64String(Root.RawData) } } },
                ["validFor"] = new Dictionary<string, string> { ["start"] = "2020-01-01T00:00:00Z" },
            },
        },
    });

    /// <summary>A v0.3 DSSE bundle over an in-toto statement naming <paramref name="digest"/>, signed by <paramref name="key"/>, with its certificate and optionally a log entry (SET) at <paramref name="integratedAt"/>.</summary>
    public byte[] DsseBundle(X509Certificate2 leaf, ECDsa key, Digest digest, DateTimeOffset? integratedAt, Func<byte[], byte[]>? tamperSet = null)
    {
        byte[] payload = Encoding.UTF8.GetBytes($$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"registry.test/team/app","digest":{"sha256":"{{{digest.Hex}}}"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}""");
        byte[] signature = key.SignData(BundleDsseEnvelope.Pae(InTotoStatement.PayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var entries = new List<object>();
        if (integratedAt is { } at)
        {
            string certificatePem = PemEncoding.WriteString("CERTIFICATE", leaf.RawData) + "\n";
            byte[] body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                apiVersion = "0.0.1",
                kind = "dsse",
                spec = new
                {
                    envelopeHash = new { algorithm = "sha256", value = new string('0', 64) },
                    payloadHash = new { algorithm = "sha256", value = Convert.ToHexStringLower(SHA256.HashData(payload)) },
                    signatures = new[] { new { signature = Convert.ToBase64String(signature), verifier = Convert.ToBase64String(Encoding.UTF8.GetBytes(certificatePem)) } },
                },
            }));
            var entry = new BundleTlogEntry { LogIndex = 42, LogId = LogId, Kind = "dsse", KindVersion = "0.0.1", IntegratedTime = at.ToUnixTimeSeconds(), CanonicalizedBody = body };
            byte[] set = LogKey.SignData(TlogEntryVerifier.SetPayload(entry), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            if (tamperSet is not null) set = tamperSet(set);
            entries.Add(new Dictionary<string, object>
            {
                ["logIndex"] = "42",
                ["logId"] = new Dictionary<string, string> { ["keyId"] = Convert.ToBase64String(LogId) },
                ["kindVersion"] = new Dictionary<string, string> { ["kind"] = "dsse", ["version"] = "0.0.1" },
                ["integratedTime"] = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["inclusionPromise"] = new Dictionary<string, string> { ["signedEntryTimestamp"] = Convert.ToBase64String(set) },
                ["canonicalizedBody"] = Convert.ToBase64String(body),
            });
        }
        // v0.1: a log entry proves inclusion with its promise (SET) alone.
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["mediaType"] = entries.Count > 0 ? SigstoreBundle.MediaTypeV01 : SigstoreBundle.MediaTypeV03,
            ["verificationMaterial"] = new Dictionary<string, object>
            {
                [entries.Count > 0 ? "x509CertificateChain" : "certificate"] = entries.Count > 0
                    ? new Dictionary<string, object> { ["certificates"] = new[] { new Dictionary<string, string> { ["rawBytes"] = Convert.ToBase64String(leaf.RawData) } } }
                    : new Dictionary<string, string> { ["rawBytes"] = Convert.ToBase64String(leaf.RawData) },
                ["tlogEntries"] = entries,
            },
            ["dsseEnvelope"] = new Dictionary<string, object>
            {
                ["payload"] = Convert.ToBase64String(payload),
                ["payloadType"] = InTotoStatement.PayloadType,
                ["signatures"] = new[] { new Dictionary<string, string> { ["sig"] = Convert.ToBase64String(signature) } },
            },
        });
    }

    public void Dispose()
    {
        RootKey.Dispose();
        Root.Dispose();
        LogKey.Dispose();
    }
}
