using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Scanning.Pipeline;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// The scan queue and its state API against the real server with access control on: a skopeo push queues a scan
/// (visible with its job), readers without pull see nothing, deleting the image forgets its scan rows, and
/// exceptions need the maintainer role and are audited.
/// </summary>
public sealed class ScanStateTests : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-scan-state-");
    private AccessServer _access = null!;

    public async Task InitializeAsync() => _access = await AccessServer.StartAsync(new Dictionary<string, string?> { ["Scanning:Enabled"] = "true" });

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        TempDir.Delete(_work);
    }

    private string AdminCreds => $"{_access.Admin.User}:{_access.Admin.Secret}";

    [Fact]
    public async Task Push_QueuesScan_StateNeedsPull_DeleteForgetsIt()
    {
        string ns = AccessServer.Unique("team");
        string repo = $"{ns}/app";
        string digest = await ScanImages.PushDebianAsync(_work, _access.Server.HostPort, repo, "1", AdminCreds);

        var state = await ScanImages.WaitForStateAsync(_access.AdminApi, repo, digest, s => s != "none");
        Assert.NotNull(state["jobId"]);
        Assert.Equal(repo, state["repository"]!.GetValue<string>());

        var stranger = await _access.CreateUserAsync(AccessServer.Unique("stranger"));
        var reader = await _access.CreateUserWithRoleAsync(AccessServer.Unique("reader"), "reader", $"{ns}/**");
        foreach (string what in new[] { "scan", "findings", "sbom" })
            using (var hidden = await _access.Api(stranger).GetAsync($"/api/v1/repositories/{repo}/manifests/{digest}/{what}"))
                Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        using (var anonymous = await _access.Raw().GetAsync($"/api/v1/repositories/{repo}/manifests/{digest}/findings"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var readable = await _access.Api(reader).GetAsync($"/api/v1/repositories/{repo}/manifests/{digest}/scan"))
            Assert.Equal(HttpStatusCode.OK, readable.StatusCode);
        using (var rescan = await _access.Api(reader).PostAsync($"/api/v1/repositories/{repo}/manifests/{digest}/scan", null))
            Assert.Equal(HttpStatusCode.Forbidden, rescan.StatusCode);
        // The repository usage endpoint (an unconstrained catch-all on the same prefix) still answers.
        await AccessServer.ExpectAsync(await _access.AdminApi.GetAsync($"/api/v1/repositories/{repo}"), HttpStatusCode.OK, "usage");

        var scans = _access.Server.Services.GetRequiredService<IScanStore>();
        Assert.NotNull(await scans.GetAsync(digest, default));
        using (var delete = await _access.Registry(_access.Admin).DeleteAsync($"/v2/{repo}/manifests/{digest}"))
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (await scans.GetAsync(digest, default) is not null && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Null(await scans.GetAsync(digest, default));
        Assert.Null(await scans.GetInventoryAsync(digest, default));
    }

    [Fact]
    public async Task Exceptions_NeedMaintainerOfTheNamespace_AndAreAudited()
    {
        string ns = AccessServer.Unique("team");
        var maintainer = await _access.CreateUserWithRoleAsync(AccessServer.Unique("mnt"), "maintainer", $"{ns}/**");
        var developer = await _access.CreateUserWithRoleAsync(AccessServer.Unique("dev"), "developer", $"{ns}/**");
        object Body(string pattern) => new
        {
            advisoryId = "CVE-2023-4911", @namespace = pattern, package = "glibc", reason = "not reachable: no setuid binaries", owner = "platform-team",
            expiresAt = DateTimeOffset.UtcNow.AddDays(30),
        };

        using (var denied = await _access.Api(developer).PostAsJsonAsync("/api/v1/exceptions", Body($"{ns}/**")))
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        using (var wider = await _access.Api(maintainer).PostAsJsonAsync("/api/v1/exceptions", Body("**")))
            Assert.Equal(HttpStatusCode.Forbidden, wider.StatusCode);
        using (var past = await _access.Api(maintainer).PostAsJsonAsync("/api/v1/exceptions", new { advisoryId = "CVE-1", @namespace = $"{ns}/**", reason = "r", owner = "o", expiresAt = DateTimeOffset.UtcNow.AddDays(-1) }))
            Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);

        var created = await AccessServer.ExpectAsync(await _access.Api(maintainer).PostAsJsonAsync("/api/v1/exceptions", Body($"{ns}/app")), HttpStatusCode.Created, "create");
        long id = created["id"]!.GetValue<long>();
        var list = (await AccessServer.ExpectAsync(await _access.Api(developer).GetAsync("/api/v1/exceptions"), HttpStatusCode.OK, "list")).AsArray();
        Assert.Contains(list, e => e!["id"]!.GetValue<long>() == id && e["owner"]!.GetValue<string>() == "platform-team" && !e["expired"]!.GetValue<bool>());

        using (var notYours = await _access.Api(developer).DeleteAsync($"/api/v1/exceptions/{id}"))
            Assert.Equal(HttpStatusCode.Forbidden, notYours.StatusCode);
        await AccessServer.ExpectAsync(await _access.Api(maintainer).DeleteAsync($"/api/v1/exceptions/{id}"), HttpStatusCode.NoContent, "delete");
        using (var gone = await _access.Api(maintainer).DeleteAsync($"/api/v1/exceptions/{id}"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        await _access.AssertAuditedAsync(maintainer.User, ScanService.ExceptionAddAction, "success");
        await _access.AssertAuditedAsync(maintainer.User, ScanService.ExceptionRemoveAction, "success");
    }
}
