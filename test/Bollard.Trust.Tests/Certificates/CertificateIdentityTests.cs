using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;

namespace Bollard.Trust.Tests.Certificates;

public sealed class CertificateIdentityTests
{
    [Fact]
    public void Bring_your_own_pki_leaf_chains_to_its_root_and_not_to_another()
    {
        var leaf = X509Certificate2.CreateFromPem(TestData.Text("signing", "cimage", "pki-leaf.pem"));
        var intermediates = CertificateChains.LoadPem(TestData.Text("signing", "cimage", "pki-chain.pem"));
        var roots = CertificateChains.LoadPem(TestData.Text("signing", "cimage", "pki_root_crts.pem"));
        var at = new DateTimeOffset(leaf.NotBefore.ToUniversalTime()).AddMinutes(1);

        var (chain, problem) = CertificateChains.Validate(leaf, intermediates, roots, at, requireCodeSigning: false);
        Assert.Null(problem);
        Assert.NotNull(chain);
        Assert.True(chain.Count >= 2);

        var fulcio = CertificateChains.LoadPem(TestData.Text("signing", "cimage", "fulcio_v1.crt.pem"));
        var (none, why) = CertificateChains.Validate(leaf, intermediates, fulcio, at, requireCodeSigning: false);
        Assert.Null(none);
        Assert.Contains("does not chain to a trusted root", why, StringComparison.Ordinal);

        var (late, expired) = CertificateChains.Validate(leaf, intermediates, roots, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()).AddDays(1), requireCodeSigning: false);
        Assert.Null(late);
        Assert.Contains("is not valid at", expired, StringComparison.Ordinal);
    }

    [Fact]
    public void Notation_leaf_is_described_with_its_thumbprint_and_key()
    {
        var leaf = X509CertificateLoader.LoadCertificate(TestData.Bytes("signing", "notation", "jws-leaf.der"));
        var info = CertificateIdentity.Describe(leaf);
        Assert.Equal(64, info.CertificateSha256!.Length);
        Assert.Equal(64, info.KeyFingerprint!.Length);
        Assert.Contains("O=Notary", info.CertificateSubject, StringComparison.Ordinal);
    }
}
