using System.Security.Cryptography;
using Bollard.Trust.Keys;
using Bollard.Trust.Sigstore;

namespace Bollard.Trust.Tests.Sigstore;

public sealed class TrustedRootTests
{
    [Fact]
    public void Parses_the_public_good_trusted_root()
    {
        var root = TrustedRoot.Parse(TestData.Text("signing", "cosign", "trusted_root_pgi.json"));

        Assert.Equal("application/vnd.dev.sigstore.trustedroot+json;version=0.1", root.MediaType);
        Assert.Equal(2, root.CertificateAuthorities.Count);
        Assert.Equal(2, root.CtLogs.Count);
        Assert.Empty(root.TimestampAuthorities);
        var rekor = Assert.Single(root.TransparencyLogs);
        Assert.Equal("https://rekor.sigstore.dev", rekor.BaseUrl);
        Assert.Equal(KeyFamily.Ecdsa, rekor.PublicKey!.Family);
        Assert.Equal("P-256", rekor.PublicKey.Curve);
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", rekor.KeyDetails);
        Assert.Equal(HashAlgorithmName.SHA256, rekor.SignatureOptions.Hash);
        Assert.Equal("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", rekor.LogIdBase64);
        // Rekor's log id is the SHA-256 of its key.
        Assert.Equal(rekor.LogId, SHA256.HashData(rekor.PublicKey.SubjectPublicKeyInfo));
        Assert.Same(rekor, root.FindLog(rekor.LogId));
        Assert.Equal(new DateTimeOffset(2021, 1, 12, 11, 53, 27, TimeSpan.Zero), rekor.ValidFor.Start);
        Assert.Null(rekor.ValidFor.End);

        var first = root.CertificateAuthorities[0];
        Assert.Equal("https://fulcio.sigstore.dev", first.Uri);
        Assert.Equal("sigstore.dev", first.Organization);
        Assert.Single(first.Chain);
        Assert.Equal(new DateTimeOffset(2022, 12, 31, 23, 59, 59, 999, TimeSpan.Zero), first.ValidFor.End);
        var second = root.CertificateAuthorities[1];
        Assert.Equal(2, second.Chain.Count);
        Assert.Contains("sigstore-intermediate", second.Chain[0].Subject, StringComparison.Ordinal);
        Assert.Equal(second.Root.Subject, second.Root.Issuer);
        Assert.Single(second.Intermediates);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{}", "lists no certificate authority")]
    [InlineData("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}""", "is not a Sigstore trusted root")]
    [InlineData("""{"certificateAuthorities":[{"uri":"x"}]}""", "certificateAuthorities[0].certChain is missing")]
    [InlineData("""{"certificateAuthorities":[{"certChain":{"certificates":[]}}]}""", "certificateAuthorities[0].certChain.certificates is empty")]
    [InlineData("""{"certificateAuthorities":[{"certChain":{"certificates":[{"rawBytes":"AAAA"}]}}]}""", "certificateAuthorities[0].certChain.certificates[0] is not a DER X.509 certificate")]
    [InlineData("""{"certificateAuthorities":[{"certChain":{"certificates":[{"rawBytes":"%%%"}]}}]}""", "rawBytes is not base64")]
    [InlineData("""{"tlogs":[{"baseUrl":"x"}]}""", "tlogs[0].publicKey is missing")]
    [InlineData("""{"tlogs":[{"publicKey":{},"validFor":{"start":"yesterday"}}]}""", "tlogs[0] has neither a logId nor a public key")]
    [InlineData("""{"tlogs":[{"publicKey":{"rawBytes":"AAAA"},"logId":{"keyId":"AAAA"},"validFor":{"start":"yesterday"}}]}""", "tlogs[0].validFor.start is not an RFC 3339 time")]
    public void Refuses_malformed_roots_with_the_field_named(string json, string expected)
    {
        Assert.False(TrustedRoot.TryParse(json, out var root, out var problem));
        Assert.Null(root);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_key_it_cannot_use_disables_that_log_only()
    {
        var root = TrustedRoot.Parse("""{"tlogs":[{"publicKey":{"rawBytes":"AAAA","keyDetails":"PKIX_FUTURE"},"logId":{"keyId":"AAAA"}}]}""");
        var log = Assert.Single(root.TransparencyLogs);
        Assert.Null(log.PublicKey);
        Assert.Contains("PKIX_FUTURE", log.KeyProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void Is_bounded()
    {
        Assert.False(TrustedRoot.TryParse(new string(' ', TrustedRoot.MaxBytes + 1), out _, out var problem));
        Assert.Contains("larger than", problem, StringComparison.Ordinal);
        string many = "{\"tlogs\":[" + string.Join(",", Enumerable.Repeat("{}", TrustedRoot.MaxEntries + 1)) + "]}";
        Assert.False(TrustedRoot.TryParse(many, out _, out problem));
        Assert.Contains("at most 64", problem, StringComparison.Ordinal);
    }
}
