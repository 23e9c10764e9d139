using Bollard.Core.Auth;
using Bollard.Server.Trust;

namespace Bollard.IntegrationTests.Trust;

/// <summary>Whether two policies can apply to the same repository (the shadowing rule of the policy API).</summary>
public sealed class NamespacePatternsTests
{
    [Theory]
    [InlineData("**", "team-a/app", true)]
    [InlineData("shop/prod/**", "shop/prod/web", true)]
    [InlineData("shop/prod/**", "shop/**", true)]
    [InlineData("shop/*/x", "shop/prod/**", true)]
    [InlineData("shop/prod/**", "shop/dev/**", false)]
    [InlineData("team-a/**", "team-b/**", false)]
    [InlineData("apps/web-*", "apps/*-api", true)]
    [InlineData("apps/web-*", "apps/db-*", false)]
    [InlineData("apps/*-api", "apps/*-web", false)]
    [InlineData("a/*", "a/b/c", false)]
    [InlineData("a/**/c", "a/b/**", true)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/c", false)]
    public void Intersect_AnswersWhetherSomeNameMatchesBoth(string a, string b, bool expected)
    {
        Assert.Equal(expected, NamespacePatterns.Intersect(NamespacePattern.Parse(a), NamespacePattern.Parse(b)));
        Assert.Equal(expected, NamespacePatterns.Intersect(NamespacePattern.Parse(b), NamespacePattern.Parse(a)));
    }

    [Fact]
    public void Intersect_ManyDoubleStars_IsBounded()
    {
        var a = NamespacePattern.Parse(string.Join('/', Enumerable.Repeat("**/x", 40)));
        var b = NamespacePattern.Parse(string.Join('/', Enumerable.Repeat("**/y", 40)));
        Assert.False(NamespacePatterns.Intersect(a, b));
    }
}
