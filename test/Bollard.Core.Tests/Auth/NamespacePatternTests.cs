using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

public sealed class NamespacePatternTests
{
    [Theory]
    // ** matches everything, at any depth
    [InlineData("**", "a", true)]
    [InlineData("**", "a/b/c", true)]
    // team-a/** matches team-a itself and everything below, but not a sibling with the same prefix
    [InlineData("team-a/**", "team-a", true)]
    [InlineData("team-a/**", "team-a/app", true)]
    [InlineData("team-a/**", "team-a/x/y", true)]
    [InlineData("team-a/**", "team-ab", false)]
    [InlineData("team-a/**", "team-ab/app", false)]
    [InlineData("team-a/**", "team/a", false)]
    [InlineData("team-a/**", "other/team-a", false)]
    // * stays within one component
    [InlineData("prod/*", "prod/web", true)]
    [InlineData("prod/*", "prod/web/x", false)]
    [InlineData("prod/*", "prod", false)]
    [InlineData("apps/web-*", "apps/web-frontend", true)]
    [InlineData("apps/web-*", "apps/web-", true)]
    [InlineData("apps/web-*", "apps/api-frontend", false)]
    [InlineData("apps/web-*", "apps/web-frontend/x", false)]
    [InlineData("*", "a", true)]
    [InlineData("*", "a/b", false)]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a*c", "ac", true)]
    [InlineData("a*c", "abcd", false)]
    [InlineData("*-svc", "billing-svc", true)]
    [InlineData("*a*b*", "xxaxxbxx", true)]
    [InlineData("*a*b*", "xxbxxaxx", false)]
    // ** in the middle and at the front
    [InlineData("a/**/z", "a/z", true)]
    [InlineData("a/**/z", "a/b/c/z", true)]
    [InlineData("a/**/z", "a/b/c/y", false)]
    [InlineData("**/app", "app", true)]
    [InlineData("**/app", "x/y/app", true)]
    [InlineData("**/app", "x/y/application", false)]
    // several ** (backtracking)
    [InlineData("**/a/**/b", "a/a/a/b", true)]
    [InlineData("**/a/**/b", "x/a/y/z/b", true)]
    [InlineData("**/a/**/b", "a/a/a/c", false)]
    [InlineData("**/a/**/b", "b/a", false)]
    [InlineData("**/**/c", "a/b/c", true)]
    [InlineData("**/**", "a/b", true)]
    [InlineData("**/x-*/**/y", "p/x-1/q/y", true)]
    [InlineData("**/x-*/**/y", "p/x/q/y", false)]
    // literals are exact
    [InlineData("library/ubuntu", "library/ubuntu", true)]
    [InlineData("library/ubuntu", "library/ubuntu2", false)]
    [InlineData("library/ubuntu", "library", false)]
    [InlineData("library", "library/ubuntu", false)]
    [InlineData("a.b", "axb", false)]
    public void Matches(string pattern, string repository, bool expected) =>
        Assert.Equal(expected, NamespacePattern.Parse(pattern).Matches(repository));

    [Theory]
    [InlineData("**")]
    [InlineData("*")]
    [InlineData("team-a/**")]
    [InlineData("a/**/b")]
    [InlineData("apps/web-*")]
    [InlineData("a.b_c-d/e")]
    public void TryParse_Valid(string value)
    {
        Assert.True(NamespacePattern.TryParse(value, out var pattern, out var problem), problem);
        Assert.Equal(value, pattern.Value);
        Assert.Equal(value, pattern.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("team-a/..")]
    [InlineData("a**")]
    [InlineData("**a")]
    [InlineData("a/b**")]
    [InlineData("***")]
    [InlineData("Team-A/**")]
    [InlineData("team-a/App")]
    [InlineData("/a")]
    [InlineData("a/")]
    [InlineData("a//b")]
    [InlineData("/")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("a\\b")]
    [InlineData("a?")]
    [InlineData("a[bc]")]
    [InlineData("a\0b")]
    [InlineData("ä")]
    public void TryParse_Rejects(string value)
    {
        Assert.False(NamespacePattern.TryParse(value, out var pattern, out var problem));
        Assert.Null(pattern);
        Assert.False(string.IsNullOrEmpty(problem));
        Assert.Throws<FormatException>(() => NamespacePattern.Parse(value));
    }

    [Fact]
    public void TryParse_Null_Rejects() => Assert.False(NamespacePattern.TryParse(null, out _, out _));

    [Fact]
    public void TryParse_LongerThan255_Rejects()
    {
        Assert.True(NamespacePattern.TryParse(new string('a', 255), out _, out _));
        Assert.False(NamespacePattern.TryParse(new string('a', 256), out _, out _));
    }

    [Fact]
    public void ManyStars_DoNotBlowUp()
    {
        // A pathological glob against a long name must still answer quickly (no exponential backtracking).
        var pattern = NamespacePattern.Parse(string.Join('/', Enumerable.Repeat("**", 20)) + "/*a*a*a*a*a*a*a*a*b");
        string name = string.Join('/', Enumerable.Repeat("a", 30)) + "/" + new string('a', 200);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(pattern.Matches(name));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void SeveralGlobstars_AgainstALongName_AnswerQuickly()
    {
        // A plausible admin pattern and the longest name a client may send (127 components).
        var pattern = NamespacePattern.Parse("**/x/**/x/**/x/**/x/**/y");
        string name = string.Join('/', Enumerable.Repeat("x", 127));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(pattern.Matches(name));
        Assert.True(pattern.Matches(name + "/y"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Equality_IsByValue()
    {
        Assert.Equal(NamespacePattern.Parse("team-a/**"), NamespacePattern.Parse("team-a/**"));
        Assert.NotEqual(NamespacePattern.Parse("team-a/**"), NamespacePattern.Parse("team-a/*"));
        Assert.Equal(NamespacePattern.Parse("x/*").GetHashCode(), NamespacePattern.Parse("x/*").GetHashCode());
    }
}
