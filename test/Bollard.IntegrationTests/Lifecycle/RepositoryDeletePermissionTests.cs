using System.Net;

namespace Bollard.IntegrationTests.Lifecycle;

/// <summary>Who may delete a repository: maintainers of its namespace and admins; others are refused and nothing goes.</summary>
public sealed class RepositoryDeletePermissionTests(AccessServerFixture fixture) : IClassFixture<AccessServerFixture>
{
    private AccessServer Access => fixture.Access;

    [Fact]
    public async Task Delete_ByDeveloper403_ByStranger404_ByMaintainerDone_AndAudited()
    {
        string ns = AccessServer.Unique("perm");
        string repo = $"{ns}/app";
        var developer = await Access.CreateUserWithRoleAsync(AccessServer.Unique("dev"), "developer", $"{ns}/**");
        var maintainer = await Access.CreateUserWithRoleAsync(AccessServer.Unique("mnt"), "maintainer", $"{ns}/**");
        var stranger = await Access.CreateUserWithRoleAsync(AccessServer.Unique("str"), null, "**");
        await AccessServer.PushImageAsync(Access.Registry(developer), repo, "v1");

        using (var r = await Access.Api(developer).DeleteAsync($"/api/v1/repositories/{repo}"))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await Access.Api(stranger).DeleteAsync($"/api/v1/repositories/{repo}"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await Access.Api(null).DeleteAsync($"/api/v1/repositories/{repo}"))
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var tags = await Access.Registry(developer).GetAsync($"/v2/{repo}/tags/list"))
            Assert.Equal(HttpStatusCode.OK, tags.StatusCode);

        using (var r = await Access.Api(maintainer).DeleteAsync($"/api/v1/repositories/{repo}"))
            await AccessServer.ExpectAsync(r, HttpStatusCode.OK, "maintainer deletes");
        using (var tags = await Access.Registry(developer).GetAsync($"/v2/{repo}/tags/list"))
            Assert.Equal(HttpStatusCode.NotFound, tags.StatusCode);
        await Access.AssertAuditedAsync(maintainer.User, "repository.delete", "success", repo);
    }
}
