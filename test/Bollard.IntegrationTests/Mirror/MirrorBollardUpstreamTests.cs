using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Bollard.Core.Oci;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// The upstream is a second, real Bollard with access control on, so the mirror speaks the Docker token protocol to a
/// real token service (Bollard's <c>/auth/token</c>, with a realm in the challenge) rather than Basic or a scripted fake:
/// with a robot account's credentials for a private namespace, and anonymously for a public one. The upstream's audit
/// log shows which principal the mirror fetched as; skopeo pulls through the prefix and sees the upstream's exact bytes.
/// </summary>
public sealed class MirrorBollardUpstreamTests : IAsyncLifetime
{
    private AccessServer _upstream = null!;
    private BollardServer _mirror = null!;
    private AccessCreds _robot = null!;

    public async Task InitializeAsync()
    {
        _upstream = await AccessServer.StartAsync();
        _robot = await _upstream.CreateRobotAsync(AccessServer.Unique("mirror"), ("reader", "team/**"));
        await _upstream.SetPublicAsync("pub/**", true);
        string url = _upstream.Server.BaseAddress.ToString().TrimEnd('/');
        _mirror = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "corp",
            ["Mirror:Upstreams:0:Url"] = url,
            ["Mirror:Upstreams:0:Username"] = _robot.User,
            ["Mirror:Upstreams:0:Password"] = _robot.Secret,
            ["Mirror:Upstreams:0:Timeout"] = "00:00:20",
            ["Mirror:Upstreams:1:Name"] = "corp-anon",
            ["Mirror:Upstreams:1:Url"] = url,
            ["Mirror:Upstreams:1:Timeout"] = "00:00:20",
        });
    }

    public async Task DisposeAsync()
    {
        await _mirror.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<HttpResponseMessage> MirrorManifestAsync(string path, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/mirror/{path}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        return await _mirror.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_robots_credentials_go_through_the_upstreams_token_service_and_skopeo_gets_the_exact_image()
    {
        ExternalTool.Require("skopeo");
        string repo = "team/" + AccessServer.Unique("app");
        var image = await AccessServer.PushImageAsync(_upstream.Registry(_upstream.Admin), repo, "1.0");

        // Without credentials the upstream refuses the private repository: the mirror must really be logging in.
        using (var anonymous = await _upstream.Raw().GetAsync($"/v2/{repo}/manifests/1.0"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var raw = await ExternalTool.RunCheckedAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{_mirror.HostPort}/mirror/corp/{repo}:1.0"]);
        Assert.Equal(Encoding.UTF8.GetString(image.Manifest), raw.Stdout.TrimEnd('\n'));

        using var layer = await _mirror.Client.GetAsync($"/v2/mirror/corp/{repo}/blobs/{image.Layer}");
        Assert.Equal(HttpStatusCode.OK, layer.StatusCode);
        byte[] bytes = await layer.Content.ReadAsByteArrayAsync();
        Assert.Equal(image.Layer, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));

        // The upstream saw the robot: a token issued to it for this repository, and its pull.
        await _upstream.AssertAuditedAsync(_robot.User, "token.issue", "success",
            where: e => (e.Detail ?? "").Contains($"repository:{repo}:pull", StringComparison.Ordinal));
        await _upstream.AssertAuditedAsync(_robot.User, "pull", "success", repo);
    }

    [Fact]
    public async Task Without_credentials_the_mirror_gets_an_anonymous_token_for_a_public_namespace_and_a_clear_error_for_a_private_one()
    {
        string pub = "pub/" + AccessServer.Unique("base");
        string priv = "team/" + AccessServer.Unique("secret");
        var admin = _upstream.Registry(_upstream.Admin);
        var open = await AccessServer.PushImageAsync(admin, pub, "3");
        await AccessServer.PushImageAsync(admin, priv, "3");

        using (var got = await MirrorManifestAsync($"corp-anon/{pub}", "3"))
        {
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal(open.Manifest, await got.Content.ReadAsByteArrayAsync());
            Assert.Equal(open.Digest, got.Headers.GetValues("Docker-Content-Digest").Single());
        }
        var pulls = await _upstream.AuditAsync(action: "pull", repository: pub);
        Assert.NotEmpty(pulls);
        Assert.DoesNotContain(pulls, e => e.Principal == _robot.User);

        using var refused = await MirrorManifestAsync($"corp-anon/{priv}", "3");
        string body = await refused.Content.ReadAsStringAsync();
        Assert.False(refused.IsSuccessStatusCode, body);
        // A gateway failure that names the upstream, the refusal and what to do (log in), not a bare 404.
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("upstream corp-anon", body, StringComparison.Ordinal);
        Assert.Contains("401", body, StringComparison.Ordinal);
        Assert.Contains("bollard mirror login", body, StringComparison.Ordinal);
        Assert.DoesNotContain(priv + "@sha256", body, StringComparison.Ordinal);

        // Nothing of the private image was stored: the same pull with the robot's upstream works, the anonymous one still fails.
        using (var withRobot = await MirrorManifestAsync($"corp/{priv}", "3"))
            Assert.Equal(HttpStatusCode.OK, withRobot.StatusCode);
        using var again = await MirrorManifestAsync($"corp-anon/{priv}", "3");
        Assert.False(again.IsSuccessStatusCode);
    }
}
