using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

public sealed class ScopeTests
{
    [Theory]
    [InlineData("repository:library/ubuntu:pull", "library/ubuntu", RepositoryAccess.Pull)]
    [InlineData("repository:a:push", "a", RepositoryAccess.Push)]
    [InlineData("repository:a:pull,push", "a", RepositoryAccess.Pull | RepositoryAccess.Push)]
    [InlineData("repository:a:push,pull", "a", RepositoryAccess.Pull | RepositoryAccess.Push)]
    [InlineData("repository:a:pull,pull", "a", RepositoryAccess.Pull)]
    [InlineData("repository:team-a/app.v2/sub_dir:delete", "team-a/app.v2/sub_dir", RepositoryAccess.Delete)]
    [InlineData("repository:a:*", "a", RepositoryAccess.Pull | RepositoryAccess.Push | RepositoryAccess.Delete)]
    [InlineData("repository:a:pull,push,delete", "a", RepositoryAccess.Pull | RepositoryAccess.Push | RepositoryAccess.Delete)]
    [InlineData("repository(plugin):a/b:pull", "a/b", RepositoryAccess.Pull)]
    public void TryParse_Repository(string value, string name, RepositoryAccess actions)
    {
        Assert.True(Scope.TryParse(value, out var scope));
        Assert.Equal(Scope.RepositoryType, scope.Type);
        Assert.Equal(name, scope.Name);
        Assert.Equal(actions, scope.Actions);
    }

    [Fact]
    public void TryParse_Wildcard_NeverGrantsManage()
    {
        // "*" is pull, push and delete: the namespace-management right is not a token action.
        Assert.True(Scope.TryParse("repository:a:*", out var scope));
        Assert.False(scope.Actions.HasFlag(RepositoryAccess.Manage));
    }

    [Fact]
    public void TryParse_Catalog()
    {
        Assert.True(Scope.TryParse("registry:catalog:*", out var scope));
        Assert.Equal(Scope.RegistryType, scope.Type);
        Assert.Equal("catalog", scope.Name);
        Assert.Equal("registry:catalog:*", scope.ToString());
    }

    [Theory]
    // traversal and names outside the repository grammar
    [InlineData("repository:..:pull")]
    [InlineData("repository:a/../b:pull")]
    [InlineData("repository:../etc/passwd:pull")]
    [InlineData("repository:a/./b:pull")]
    [InlineData("repository:/a:pull")]
    [InlineData("repository:a/:pull")]
    [InlineData("repository:a//b:pull")]
    [InlineData("repository:A:pull")]
    [InlineData("repository:%2e%2e:pull")]
    [InlineData("repository::pull")]
    // wildcards in names
    [InlineData("repository:*:pull")]
    [InlineData("repository:team-a/*:pull")]
    [InlineData("repository:team-a/**:pull")]
    [InlineData("repository:team-?:pull")]
    // extra colons, hostnames and ports
    [InlineData("repository:a:b:pull")]
    [InlineData("repository:a:pull:push")]
    [InlineData("repository:localhost:5000/a:pull")]
    [InlineData("repository:registry.example.com:443/team-a/app:pull")]
    [InlineData("repository:a:pull:")]
    // actions
    [InlineData("repository:a:")]
    [InlineData("repository:a:admin")]
    [InlineData("repository:a:PULL")]
    [InlineData("repository:a:pull,")]
    [InlineData("repository:a:pull,,push")]
    [InlineData("repository:a:pull,manage")]
    [InlineData("repository:a: pull")]
    [InlineData("repository:a:**")]
    // types
    [InlineData("repository")]
    [InlineData("repository:a")]
    [InlineData("repo:a:pull")]
    [InlineData("Repository:a:pull")]
    [InlineData("repository(plugin:a:pull")]
    [InlineData(":a:pull")]
    [InlineData("registry:catalog:pull")]
    [InlineData("registry:catalog:")]
    [InlineData("registry:other:*")]
    [InlineData("registry:*:*")]
    [InlineData("")]
    [InlineData(":")]
    [InlineData("::")]
    public void TryParse_Rejects(string value) => Assert.False(Scope.TryParse(value, out _));

    [Fact]
    public void TryParse_TooLong_Rejects()
    {
        // Valid but for its length: a long action list.
        string actions = string.Join(',', Enumerable.Repeat("pull", 120));
        Assert.True(Scope.TryParse("repository:a:" + string.Join(',', Enumerable.Repeat("pull", 50)), out _));
        Assert.False(Scope.TryParse("repository:a:" + actions, out _));
    }

    [Fact]
    public void ParseList_SplitsOnSpaces_DropsAndReportsInvalid()
    {
        var rejected = new List<string>();
        var scopes = Scope.ParseList(["repository:a:pull repository:b:push", null, "", "  ", "repository:*:pull registry:catalog:*", "repository:c:b:pull"], rejected);
        Assert.Equal(["repository:a:pull", "repository:b:push", "registry:catalog:*"], scopes.Select(s => s.ToString()));
        Assert.Equal(["repository:*:pull", "repository:c:b:pull"], rejected);
    }

    [Fact]
    public void ToString_RoundTrips()
    {
        Assert.True(Scope.TryParse("repository:a/b:delete,push,pull", out var scope));
        Assert.Equal("repository:a/b:pull,push,delete", scope.ToString());
        Assert.True(Scope.TryParse(scope.ToString(), out var again));
        Assert.Equal(scope, again);
    }
}
