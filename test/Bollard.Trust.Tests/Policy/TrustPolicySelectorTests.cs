using Bollard.Trust.Policy;

namespace Bollard.Trust.Tests.Policy;

public sealed class TrustPolicySelectorTests
{
    private static VersionedTrustPolicy P(string name, string ns) =>
        new(TrustPolicyParser.Parse($$"""{"name":"{{name}}","namespace":"{{ns}}","mode":"enforce"}"""), 1);

    private static readonly VersionedTrustPolicy[] Policies =
    [
        P("everything", "**"),
        P("prod", "prod/**"),
        P("prod-team", "prod/team/**"),
        P("prod-one-level", "prod/*"),
        P("prod-web", "prod/web-*"),
        P("exact", "prod/team/app"),
    ];

    [Theory]
    [InlineData("dev/app", "everything")]
    [InlineData("prod", "prod")]
    [InlineData("prod/a/b", "prod")]
    [InlineData("prod/api", "prod-one-level")]
    [InlineData("prod/web-ui", "prod-web")]
    [InlineData("prod/team/x", "prod-team")]
    [InlineData("prod/team/app", "exact")]
    public void Most_specific_pattern_wins(string repository, string expected)
    {
        Assert.Equal(expected, TrustPolicySelector.Select(Policies, repository)?.Policy.Name);
        Assert.Equal(expected, TrustPolicySelector.Select(Policies.Reverse(), repository)?.Policy.Name);
    }

    [Fact]
    public void Ties_go_to_the_first_name_and_no_match_is_null()
    {
        VersionedTrustPolicy[] tied = [P("b", "prod/**"), P("a", "prod/**")];
        Assert.Equal("a", TrustPolicySelector.Select(tied, "prod/x")!.Policy.Name);
        Assert.Equal("a", TrustPolicySelector.Select(tied.Reverse(), "prod/x")!.Policy.Name);
        Assert.Null(TrustPolicySelector.Select(tied, "dev/x"));
    }
}
