using System.Net;
using System.Net.Http.Json;
using Bollard.IntegrationTests.Interop;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>One auth-enabled server and one small umoci-built image for the skopeo tests.</summary>
public sealed class SkopeoAccessFixture : IAsyncLifetime
{
    public AccessServer Access { get; private set; } = null!;
    public string Work { get; } = TempDir.Create("bollard-access-skopeo-");
    internal OciLayout Image { get; private set; } = null!;
    public string ImageDigest { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("umoci");
        Access = await AccessServer.StartAsync();
        Image = await OciLayout.InitAsync(Path.Combine(Work, "image"));
        await Image.NewImageAsync("v1", "amd64", ("/data/payload.bin", 64 * 1024), ("/etc/hello.txt", 0));
        ImageDigest = Image.Resolve("v1").Digest;
    }

    public async Task DisposeAsync()
    {
        await Access.DisposeAsync();
        TempDir.Delete(Work);
    }
}

/// <summary>
/// Real skopeo (containers/image) against Bollard with access control on: <c>skopeo login</c> and
/// <c>skopeo copy</c> with a user's password, a robot's secret (<c>robot$NAME</c>) and a personal access token;
/// a pull-only robot cannot push; anonymous pulls work in a public namespace only.
/// </summary>
public sealed class RealClientAccessTests(SkopeoAccessFixture fixture) : IClassFixture<SkopeoAccessFixture>, IDisposable
{
    private readonly AccessServer _access = fixture.Access;
    private readonly string _home = TempDir.Create("bollard-access-skopeo-home-");
    private string Host => _access.Server.HostPort;
    private string Source => $"oci:{fixture.Image.Root}:v1";

    public void Dispose() => TempDir.Delete(_home);

    /// <summary>skopeo with its own auth file and blob-info cache for this test, and no system policy.</summary>
    private Task<ToolResult> Skopeo(params string[] args) => ExternalTool.RunAsync("skopeo", ["--insecure-policy", .. args], environment: new Dictionary<string, string>
    {
        ["XDG_DATA_HOME"] = Path.Combine(_home, "data"),
        ["XDG_RUNTIME_DIR"] = Path.Combine(_home, "run"),
        ["XDG_CONFIG_HOME"] = Path.Combine(_home, "config"),
        ["HOME"] = _home,
        ["REGISTRY_AUTH_FILE"] = Path.Combine(_home, "auth.json"),
    });

    private async Task<ToolResult> SkopeoOk(params string[] args)
    {
        var result = await Skopeo(args);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    private async Task AssertPulledImageAsync(string reference, params string[] extra)
    {
        var pulled = new OciLayout(Path.Combine(_home, "pulled-" + Guid.NewGuid().ToString("N")[..8]));
        await SkopeoOk(["copy", "--src-tls-verify=false", .. extra, $"docker://{Host}/{reference}", $"oci:{pulled.Root}:v1"]);
        Assert.Equal(fixture.ImageDigest, pulled.Resolve("v1").Digest);
        foreach (string digest in fixture.Image.Closure(fixture.ImageDigest))
            Assert.Equal(fixture.Image.ReadBlob(digest), pulled.ReadBlob(digest));
    }

    [Fact]
    public async Task User_SkopeoLoginThenCopy_PushesAndPullsBack_AndIsAudited()
    {
        string ns = AccessServer.Unique("sk");
        var alice = await _access.CreateUserWithRoleAsync(AccessServer.Unique("alice"), "developer", $"{ns}/**");

        var wrong = await Skopeo("login", "--tls-verify=false", "-u", alice.User, "-p", "not-the-password", Host);
        Assert.True(wrong.ExitCode != 0, "login with a wrong password succeeded\n" + wrong.Describe());

        var login = await SkopeoOk("login", "--tls-verify=false", "-u", alice.User, "-p", alice.Secret, Host);
        Assert.Contains("Login Succeeded", login.Stdout);
        await SkopeoOk("copy", "--dest-tls-verify=false", Source, $"docker://{Host}/{ns}/app:v1");
        await AssertPulledImageAsync($"{ns}/app:v1");

        // Logged in as alice, skopeo still cannot write outside her namespace.
        var outside = await Skopeo("copy", "--dest-tls-verify=false", Source, $"docker://{Host}/{AccessServer.Unique("other")}/app:v1");
        Assert.True(outside.ExitCode != 0, outside.Describe());

        await _access.AssertAuditedAsync(alice.User, "login", "failure");
        await _access.AssertAuditedAsync(alice.User, "login", "success");
        await _access.AssertAuditedAsync(alice.User, "push", "success", $"{ns}/app", e => e.Reference == $"v1@{fixture.ImageDigest}");
        await _access.AssertAuditedAsync(alice.User, "pull", "success", $"{ns}/app");
        await _access.AssertAuditedAsync(alice.User, "access.denied", "denied");
    }

    [Fact]
    public async Task Robot_PushesWithItsSecret_ButAPullOnlyRobotCannotPush()
    {
        string ns = AccessServer.Unique("ci");
        var builder = await _access.CreateRobotAsync(AccessServer.Unique("builder"), ("developer", $"{ns}/**"));
        var puller = await _access.CreateRobotAsync(AccessServer.Unique("puller"), ("reader", $"{ns}/**"));
        Assert.StartsWith("robot$", builder.User);
        Assert.StartsWith("brs_", builder.Secret);

        // The builder logs in like `docker login -u 'robot$NAME'`, and also works with --dest-creds.
        await SkopeoOk("login", "--tls-verify=false", "-u", builder.User, "-p", builder.Secret, Host);
        await SkopeoOk("copy", "--dest-tls-verify=false", Source, $"docker://{Host}/{ns}/app:v1");
        await SkopeoOk("logout", Host);
        await SkopeoOk("copy", "--dest-tls-verify=false", "--dest-creds", $"{builder.User}:{builder.Secret}", Source, $"docker://{Host}/{ns}/app:v2");

        // The puller pulls, but its push fails and stores nothing.
        await AssertPulledImageAsync($"{ns}/app:v1", "--src-creds", $"{puller.User}:{puller.Secret}");
        var uploadsBefore = _access.Server.UploadFiles();
        foreach (string target in new[] { $"{ns}/pushed-by-puller:v1", $"{ns}/app:evil" })
        {
            var push = await Skopeo("copy", "--dest-tls-verify=false", "--dest-creds", $"{puller.User}:{puller.Secret}", Source, $"docker://{Host}/{target}");
            Assert.True(push.ExitCode != 0, "a pull-only robot pushed\n" + push.Describe());
        }
        var admin = _access.Registry(_access.Admin);
        using (var tags = await admin.GetAsync($"/v2/{ns}/pushed-by-puller/tags/list"))
            Assert.Equal(HttpStatusCode.NotFound, tags.StatusCode);
        foreach (string digest in fixture.Image.Closure(fixture.ImageDigest).Skip(1))
            using (var head = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{ns}/pushed-by-puller/blobs/{digest}")))
                Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(["v1", "v2"], (await admin.TagsAsync($"{ns}/app")).Order(StringComparer.Ordinal));
        await _access.Server.AssertNoNewUploadFilesAsync(uploadsBefore);

        await _access.AssertAuditedAsync(builder.User, "push", "success", $"{ns}/app");
        await _access.AssertAuditedAsync(puller.User, "pull", "success", $"{ns}/app");
        await _access.AssertAuditedAsync(puller.User, "access.denied", "denied", $"{ns}/pushed-by-puller");
        Assert.Empty(await _access.AuditAsync(principal: puller.User, action: "push"));
    }

    [Fact]
    public async Task Anonymous_PullsFromAPublicNamespace_ButNotFromAPrivateOne()
    {
        string open = AccessServer.Unique("pub"), closed = AccessServer.Unique("priv");
        string adminCreds = $"{_access.Admin.User}:{_access.Admin.Secret}";
        await SkopeoOk("copy", "--dest-tls-verify=false", "--dest-creds", adminCreds, Source, $"docker://{Host}/{open}/app:v1");
        await SkopeoOk("copy", "--dest-tls-verify=false", "--dest-creds", adminCreds, Source, $"docker://{Host}/{closed}/app:v1");

        // Before the namespace is opened, an anonymous pull fails there too.
        var early = await Skopeo("inspect", "--tls-verify=false", "--no-creds", $"docker://{Host}/{open}/app:v1");
        Assert.True(early.ExitCode != 0, early.Describe());

        await _access.SetPublicAsync($"{open}/**", true);
        await AssertPulledImageAsync($"{open}/app:v1", "--src-no-creds");
        await SkopeoOk("inspect", "--tls-verify=false", "--no-creds", $"docker://{Host}/{open}/app:v1");

        foreach (var args in new[]
        {
            new[] { "inspect", "--tls-verify=false", "--no-creds", $"docker://{Host}/{closed}/app:v1" },
            ["copy", "--src-tls-verify=false", "--src-no-creds", $"docker://{Host}/{closed}/app:v1", $"oci:{Path.Combine(_home, "nope")}:v1"],
            ["copy", "--dest-tls-verify=false", "--dest-no-creds", Source, $"docker://{Host}/{open}/anonymous-push:v1"],
        })
        {
            var refused = await Skopeo(args);
            Assert.True(refused.ExitCode != 0, "anonymous access worked\n" + refused.Describe());
        }
        using (var tags = await _access.Registry(_access.Admin).GetAsync($"/v2/{open}/anonymous-push/tags/list"))
            Assert.Equal(HttpStatusCode.NotFound, tags.StatusCode);

        await _access.AssertAuditedAsync("admin", "namespace.public", "success", where: e => e.Reference == $"{open}/**");
        var pulls = await _access.AuditAsync(action: "pull", repository: $"{open}/app");
        Assert.Contains(pulls, e => e.Principal == "");
        Assert.Contains(await _access.AuditAsync(action: "access.denied", repository: $"{closed}/app"), e => e.Principal == "");
    }

    [Fact]
    public async Task PersonalAccessToken_WorksAsThePassword_UntilRevoked()
    {
        string ns = AccessServer.Unique("pat");
        var dana = await _access.CreateUserWithRoleAsync(AccessServer.Unique("dana"), "developer", $"{ns}/**");
        var (id, token) = await _access.CreateAccessTokenAsync(dana, "laptop");
        Assert.StartsWith("bpat_", token);

        await SkopeoOk("login", "--tls-verify=false", "-u", dana.User, "-p", token, Host);
        await SkopeoOk("copy", "--dest-tls-verify=false", Source, $"docker://{Host}/{ns}/app:v1");
        await AssertPulledImageAsync($"{ns}/app:v1", "--src-creds", $"{dana.User}:{token}");

        // The token is dana's only: with another user name it is refused.
        var other = await _access.CreateUserWithRoleAsync(AccessServer.Unique("eve"), "developer", $"{ns}/**");
        var misuse = await Skopeo("copy", "--dest-tls-verify=false", "--dest-creds", $"{other.User}:{token}", Source, $"docker://{Host}/{ns}/app:eve");
        Assert.True(misuse.ExitCode != 0, misuse.Describe());

        using (var revoke = await _access.Api(dana).DeleteAsync($"/api/v1/tokens/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var after = await Skopeo("copy", "--dest-tls-verify=false", "--dest-creds", $"{dana.User}:{token}", Source, $"docker://{Host}/{ns}/app:v2");
        Assert.True(after.ExitCode != 0, "a revoked token still works\n" + after.Describe());
        Assert.Equal(["v1"], await _access.Registry(_access.Admin).TagsAsync($"{ns}/app"));

        await _access.AssertAuditedAsync(dana.User, "token.create", "success", where: e => e.Detail == "laptop");
        await _access.AssertAuditedAsync(dana.User, "token.delete", "success");
        await _access.AssertAuditedAsync(dana.User, "push", "success", $"{ns}/app");
        await _access.AssertAuditedAsync(dana.User, "login", "failure");
        await _access.AssertAuditedAsync(other.User, "login", "failure");
    }
}
