using Bollard.Core.Oci;
using Bollard.Trust.Notation;
using Bollard.Trust.Signatures;
using static Bollard.Trust.Tests.Notation.NotationTestPki;

namespace Bollard.Trust.Tests.Notation;

/// <summary>Protected-header attacks, each signed by a trusted test CA so that only the header decides.</summary>
public sealed class NotationEnvelopeAttackTests
{
    private static readonly Digest Image = Digest.Sha256Of("an image manifest"u8);
    private static readonly NotationJwsVerifier Verifier = new();

    private static SignatureVerdict Verify(NotationTestPki pki, string protectedJson, DateTimeOffset? now = null) =>
        Verifier.Verify(Found(SignatureFormat.NotationJws, pki.Jws(protectedJson, Image)), Request(Image, now ?? Now, pki.Anchor()));

    [Fact]
    public void WellFormedHeader_Counts()
    {
        using var pki = new NotationTestPki();
        var verdict = Verify(pki, Protected());
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
    }

    [Theory]
    [InlineData(",\"io.example.unknown\":\"x\"", "\"io.cncf.notary.signingScheme\",\"io.example.unknown\"", "crit lists 'io.example.unknown', a critical header Bollard does not understand")]
    [InlineData(",\"io.cncf.notary.expiry\":\"2030-01-01T00:00:00Z\"", "\"io.cncf.notary.signingScheme\"", "the protected header has io.cncf.notary.expiry but crit does not list it")]
    [InlineData("", "\"io.cncf.notary.signingScheme\",\"io.cncf.notary.expiry\"", "crit lists 'io.cncf.notary.expiry', which is not in the protected header")]
    [InlineData("", "", "crit does not list io.cncf.notary.signingScheme")]
    [InlineData("", "\"io.cncf.notary.signingScheme\",\"io.cncf.notary.signingScheme\"", "crit lists a header twice")]
    [InlineData(",\"io.cncf.notary.verificationPlugin\":\"p\"", "\"io.cncf.notary.signingScheme\",\"io.cncf.notary.verificationPlugin\"", "the signature requires a Notation verification plugin, which Bollard does not run")]
    [InlineData(",\"io.cncf.notary.authenticSigningTime\":\"2026-12-01T10:00:00Z\"", "\"io.cncf.notary.signingScheme\",\"io.cncf.notary.authenticSigningTime\"", "signing scheme notary.x509 must not carry io.cncf.notary.authenticSigningTime")]
    public void BadCrit_IsAProblem(string extra, string crit, string problem)
    {
        using var pki = new NotationTestPki();
        var verdict = Verify(pki, Protected(extra, crit));
        Assert.Equal(problem, Assert.Single(verdict.Problems));
        Assert.Equal($"the signature does not count: {problem}", verdict.Anchors[0].Reason);
    }

    [Fact]
    public void ExpiredExpiry_DoesNotCount()
    {
        using var pki = new NotationTestPki();
        string header = Protected(",\"io.cncf.notary.expiry\":\"2026-12-01T12:00:00Z\"", "\"io.cncf.notary.signingScheme\",\"io.cncf.notary.expiry\"");
        Assert.Empty(Verify(pki, header, Now.AddDays(-1)).Problems);
        var verdict = Verify(pki, header);
        Assert.Equal("the signature expired at 2026-12-01T12:00:00Z (io.cncf.notary.expiry), before 2026-12-02T05:00:00Z", Assert.Single(verdict.Problems));
        Assert.False(verdict.Anchors[0].Trusted);
    }

    [Theory]
    [InlineData("PS256", "alg PS256 does not match the signing key (ECDSA P-256), which Notation signs with ES256")]
    [InlineData("ES384", "alg ES384 does not match the signing key (ECDSA P-256), which Notation signs with ES256")]
    [InlineData("none", "alg \"none\" is not one Notation allows (PS256, PS384, PS512, ES256, ES384, ES512)")]
    [InlineData("HS256", "alg \"HS256\" is not one Notation allows (PS256, PS384, PS512, ES256, ES384, ES512)")]
    public void AlgorithmSubstitution_IsAProblem(string alg, string problem)
    {
        using var pki = new NotationTestPki();
        Assert.Equal(problem, Assert.Single(Verify(pki, Protected(alg: alg)).Problems));
    }

    [Fact]
    public void WrongContentTypeOrScheme_IsAProblem()
    {
        using var pki = new NotationTestPki();
        Assert.Equal("cty \"application/json\" is not application/vnd.cncf.notary.payload.v1+json",
            Assert.Single(Verify(pki, Protected().Replace("application/vnd.cncf.notary.payload.v1+json", "application/json", StringComparison.Ordinal)).Problems));
        Assert.Equal("signing scheme 'notary.tuf' is not supported (notary.x509, notary.x509.signingAuthority)",
            Assert.Single(Verify(pki, Protected().Replace("\"notary.x509\"", "\"notary.tuf\"", StringComparison.Ordinal)).Problems));
        Assert.Equal("io.cncf.notary.signingTime is not an RFC 3339 date-time",
            Assert.Single(Verify(pki, Protected().Replace("2026-12-01T10:00:00Z", "yesterday", StringComparison.Ordinal)).Problems));
    }

    [Fact]
    public void DuplicateProtectedMember_IsAProblem()
    {
        using var pki = new NotationTestPki();
        Assert.Equal("the protected header has 'alg' twice", Assert.Single(Verify(pki, Protected(",\"alg\":\"ES256\"")).Problems));
    }

    [Theory]
    [InlineData("x509.subject: C=US, ST=WA, O=Bollard Test", true)]
    [InlineData("x509.subject: C=US, S=WA, O=Bollard Test, CN=ci", true)]
    [InlineData("x509.subject: C=US, ST=WA, O=Bollard Test, CN=release", false)]
    [InlineData("x509.subject: C=US, ST=WA, O=Bollard, CN=ci", false)]
    [InlineData("*", true)]
    public void TrustedIdentity_EveryRdnMustBeInTheSubject(string identity, bool trusted)
    {
        using var pki = new NotationTestPki();
        var verdict = Verifier.Verify(Found(SignatureFormat.NotationJws, pki.Jws(Protected(), Image)), Request(Image, Now, pki.Anchor("ca", identity)));
        Assert.Equal(trusted, verdict.Anchors[0].Trusted);
    }

    [Theory]
    [InlineData("x509.subject: CN=ci", "it must name C (C, ST and O are required)")]
    [InlineData("x509.subject: C=US, ST=WA, O=A, XX=1", "attribute type 'XX' is not known")]
    [InlineData("x509.subject: C=US, C=CA, ST=WA, O=A", "attribute type 'C' appears twice")]
    [InlineData("subject: C=US", "expected '*' or 'x509.subject: C=..., ST=..., O=...'")]
    public void TrustedIdentity_Invalid_SaysWhy(string identity, string problem)
    {
        using var pki = new NotationTestPki();
        var verdict = Verifier.Verify(Found(SignatureFormat.NotationJws, pki.Jws(Protected(), Image)), Request(Image, Now, pki.Anchor("ca", identity)));
        Assert.Equal($"not trusted by ca: trusted identity '{identity}' is invalid: {problem}", verdict.Anchors[0].Reason);
    }

    [Fact]
    public void TrustedIdentity_Escapes()
    {
        using var pki = new NotationTestPki("C=US, ST=WA, O=\"Acme, Inc.\", CN=ci");
        var verdict = Verifier.Verify(Found(SignatureFormat.NotationJws, pki.Jws(Protected(), Image)),
            Request(Image, Now, pki.Anchor("ca", @"x509.subject: C=US, ST=WA, O=Acme\, Inc.")));
        Assert.True(verdict.Anchors[0].Trusted, verdict.Anchors[0].Reason);
    }
}
