using System.Text;
using Bollard.Trust.Policy;
using Bollard.Trust.Signatures;
using static Bollard.Trust.Tests.Policy.PolicyTestData;

namespace Bollard.Trust.Tests.Policy;

public sealed class TrustPolicyParserTests
{
    private static IReadOnlyList<PolicyError> Errors(string json, TrustPolicyLimits? limits = null)
    {
        Assert.False(TrustPolicyParser.TryParse(Encoding.UTF8.GetBytes(json), out var policy, out var errors, limits));
        Assert.Null(policy);
        Assert.NotEmpty(errors);
        return errors;
    }

    [Fact]
    public void Full_document_becomes_anchors_requirement_and_rules()
    {
        var ca = CertificateFactory.SelfSignedCa("CN=Example Root");
        var policy = TrustPolicyParser.Parse(WithKeys("""
            {"name":"prod","namespace":"prod/**","mode":"warn",
             "signers":{
               "dev":{"key":@DEV},
               "ci":{"serverKey":"ci-key"},
               "release":{"identity":{"issuer":"https://accounts.example.com","subject":"release@example.com","roots":[@CA]}},
               "corp":{"notation":{"trustStore":[@CA],"trustedIdentities":["x509.subject: C=US, O=Example, CN=signer"]}}},
             "require":{"allOf":["dev","ci",{"anyOf":["release","corp"]}]},
             "vulnerabilities":{"maxSeverity":"high","onlyFixable":true,"gracePeriod":"7d"},
             "sbom":{"required":true}}
            """.Replace("@CA", Json(ca), StringComparison.Ordinal)));
        Assert.Equal("prod", policy.Name);
        Assert.True(policy.Namespace.Matches("prod/team/app"));
        Assert.Equal(PolicyMode.Warn, policy.Mode);
        Assert.Equal(["dev", "ci", "release", "corp"], policy.Signers.Select(s => s.Name));
        Assert.IsType<KeyAnchor>(policy.Signer("dev")!.Anchor);
        Assert.Equal(SignerKind.ServerKey, policy.Signer("ci")!.Kind);
        Assert.Equal("ci-key", policy.Signer("ci")!.ServerKey);
        var release = Assert.IsType<IdentityAnchor>(policy.Signer("release")!.Anchor);
        Assert.Equal("https://accounts.example.com", release.Issuer);
        Assert.Single(release.RootsPem);
        var corp = Assert.IsType<NotationAnchor>(policy.Signer("corp")!.Anchor);
        Assert.Equal(["x509.subject: C=US, O=Example, CN=signer"], corp.TrustedIdentities);
        Assert.Equal("allOf(dev, ci, anyOf(release, corp))", policy.Require!.Describe());
        Assert.Equal(new VulnerabilityRules("high", true, TimeSpan.FromDays(7)), policy.Vulnerabilities);
        Assert.True(policy.SbomRequired);

        // Written back, it reads again to the same policy.
        var again = TrustPolicyParser.Parse(TrustPolicyParser.Serialize(policy.Document));
        Assert.Equal(policy.Require.Describe(), again.Require!.Describe());
        Assert.Equal(policy.Signers.Select(s => s.Anchor?.Name), again.Signers.Select(s => s.Anchor?.Name));
    }

    [Fact]
    public void Threshold_with_required_and_a_bare_signer_name()
    {
        var t = Assert.IsType<ThresholdRequirement>(KeyPolicy("""{"threshold":2,"of":["dev","ci","release"],"required":["ci"]}""").Require);
        Assert.Equal(2, t.Threshold);
        Assert.Equal(["ci"], t.Required);
        Assert.Equal("threshold(2 of dev, ci, release; required ci)", t.Describe());
        Assert.Equal(new SignerRequirement("dev"), KeyPolicy("\"dev\"").Require);
    }

    [Fact]
    public void Signers_without_require_means_all_of_them()
    {
        var policy = TrustPolicyParser.Parse(WithKeys("""{"name":"p","namespace":"**","mode":"enforce","signers":{"dev":{"key":@DEV},"ci":{"key":@CI}}}"""));
        Assert.Equal("allOf(dev, ci)", policy.Require!.Describe());
    }

    [Theory]
    [InlineData("""{"name":"p","namespace":"**","mode":"enforce","requires":"dev"}""", "$.requires", "unknown field 'requires'")]
    [InlineData("""{"name":"p","namespace":"**","mode":"enforce","signers":{"dev":{"key":"x","serverkey":"y"}}}""", "$.signers.dev.serverkey", "unknown field 'serverkey'")]
    [InlineData("""{"name":"p","namespace":"**","mode":"enforce","name":"q"}""", "$.name", "duplicate field")]
    [InlineData("""{"name":"p","namespace":"**","mode":"sometimes"}""", "$.mode", "'sometimes' is not a mode")]
    [InlineData("""{"name":"p","namespace":"Prod/**","mode":"off"}""", "$.namespace", "may hold only")]
    [InlineData("""{"name":"p","mode":"off"}""", "$.namespace", "required")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","sbom":{"required":"yes"}}""", "$.sbom.required", "wrong type: expected true or false")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":[]}""", "$.signers", "wrong type: expected an object")]
    [InlineData("""{"name":7,"namespace":"**","mode":"off"}""", "$.name", "wrong type: expected a string")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","vulnerabilities":{"maxSeverity":"severe"}}""", "$.vulnerabilities.maxSeverity", "'severe' is not a severity")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","vulnerabilities":{"maxSeverity":"high","gracePeriod":"1 week"}}""", "$.vulnerabilities.gracePeriod", "not a duration")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"key":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}}}""", "$.signers.dev.key", "not a usable public key")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{}}}""", "$.signers.dev", "needs one of key, serverKey, identity, notation")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"serverKey":"k"}},"require":"ops"}""", "$.require", "'ops' is not a signer of this policy (dev)")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"serverKey":"k"}},"require":{"allOf":["dev",{"anyOf":[]}]}}""", "$.require.allOf[1].anyOf", "must not be empty")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"serverKey":"k"}},"require":{"allOf":["dev"],"count":1}}""", "$.require.count", "unknown field 'count'")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"serverKey":"k"}},"require":{"threshold":2,"of":["dev"]}}""", "$.require.threshold", "2 is more than the 1 members")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"serverKey":"k"},"ci":{"serverKey":"c"}},"require":{"threshold":1,"of":["dev"],"required":["ci"]}}""", "$.require.required[0]", "'ci' is not a signer listed in 'of'")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"identity":{"subject":"a@b"}}}}""", "$.signers.dev.identity", "needs roots")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"identity":{"subjectRegex":"(","roots":[]}}}}""", "$.signers.dev.identity.subjectRegex", "not a regular expression")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"notation":{"trustStore":["not pem"]}}}}""", "$.signers.dev.notation.trustStore[0]", "PEM certificate")]
    [InlineData("""{"name":"p","namespace":"**","mode":"off",}""", "$", "")]
    public void Bad_documents_say_where_and_what(string json, string path, string message)
    {
        var errors = Errors(json);
        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Message.Contains("System.", StringComparison.Ordinal) || e.Message.Contains("Bollard.", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Errors("""{"name":"Bad Name","namespace":"/","mode":"x","vulnerabilities":{"maxSeverity":"nope"}}""");
        Assert.Equal(["$.name", "$.namespace", "$.mode", "$.vulnerabilities.maxSeverity"], errors.Select(e => e.Path));
    }

    [Fact]
    public void Limits_bound_size_depth_signers_and_nodes()
    {
        Assert.Contains("more than the 100 allowed", Errors(new string(' ', 101) + "{}", new TrustPolicyLimits { MaxDocumentBytes = 100 })[0].Message);

        string deep = string.Concat(Enumerable.Repeat("{\"allOf\":[", 40)) + "\"dev\"" + string.Concat(Enumerable.Repeat("]}", 40));
        Assert.Contains("nested deeper", Errors("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"serverKey":"k"}},"require":@DEEP}""".Replace("@DEEP", deep, StringComparison.Ordinal))[0].Message);

        string signers = string.Join(",", Enumerable.Range(0, 33).Select(i => $"\"s{i}\":{{\"serverKey\":\"k\"}}"));
        Assert.Contains("33 signers", Errors("""{"name":"p","namespace":"**","mode":"off","signers":{@SIGNERS}}""".Replace("@SIGNERS", signers, StringComparison.Ordinal))[0].Message);

        string wide = "{\"anyOf\":[" + string.Join(",", Enumerable.Repeat("\"dev\"", 200)) + "]}";
        Assert.Contains(Errors("""{"name":"p","namespace":"**","mode":"off","signers":{"dev":{"serverKey":"k"}},"require":@WIDE}""".Replace("@WIDE", wide, StringComparison.Ordinal)),
            e => e.Message.Contains("more than 128 nodes", StringComparison.Ordinal));
    }
}
