using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Bollard.IntegrationTests.Hosting;

public sealed class TlsAndProxyTests : IDisposable
{
    private readonly string _dir = TempDir.Create("bollard-tls-");

    public void Dispose() => TempDir.Delete(_dir);

    private (string Cert, string Key, X509Certificate2 Certificate) WriteSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string certPath = Path.Combine(_dir, "tls.crt"), keyPath = Path.Combine(_dir, "tls.key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, cert);
    }

    [Fact]
    public async Task Tls_ServesHttps_WithTheGivenCertificate()
    {
        var (cert, key, certificate) = WriteSelfSigned();
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>
        {
            ["Server:TlsCertificate"] = cert,
            ["Server:TlsKey"] = key,
        });
        Assert.Equal("https", server.BaseAddress.Scheme);
        X509Certificate2? seen = null;
        using var client = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, c, _, _) => { seen = c is null ? null : new X509Certificate2(c); return true; },
        }) { BaseAddress = server.BaseAddress };
        using var response = await client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(certificate.Thumbprint, seen!.Thumbprint);

        // Plain HTTP to the TLS port is not served: it gets a 400 that says why, instead of an empty reply.
        using var plain = new HttpClient();
        using var hint = await plain.GetAsync($"http://{server.HostPort}/v2/");
        Assert.Equal(HttpStatusCode.BadRequest, hint.StatusCode);
        Assert.Contains($"This port speaks HTTPS: use https://{server.HostPort}/", await hint.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Tls_OnlyCertificate_FailsAtStartupWithClearMessage()
    {
        var (cert, _, _) = WriteSelfSigned();
        var e = Assert.ThrowsAny<Exception>(() => Bollard.Hosting.BollardApplication.Build(null, new Dictionary<string, string?>
        {
            ["Server:Listen"] = "127.0.0.1:0",
            ["Storage:DataDir"] = Path.Combine(_dir, "d1"),
            ["Server:TlsCertificate"] = cert,
        }).StartAsync().GetAwaiter().GetResult());
        Assert.Contains("--tls-key", e.Message);
    }

    [Fact]
    public void Tls_KeyThatIsNotPem_FailsAtStartupWithClearMessage()
    {
        var (cert, _, _) = WriteSelfSigned();
        string bad = Path.Combine(_dir, "bad.key");
        File.WriteAllText(bad, "not a key");
        var e = Assert.ThrowsAny<Exception>(() => Bollard.Hosting.BollardApplication.Build(null, new Dictionary<string, string?>
        {
            ["Server:Listen"] = "127.0.0.1:0",
            ["Storage:DataDir"] = Path.Combine(_dir, "d2"),
            ["Server:TlsCertificate"] = cert,
            ["Server:TlsKey"] = bad,
        }).StartAsync().GetAwaiter().GetResult());
        Assert.Contains($"Server:TlsCertificate '{cert}' with Server:TlsKey '{bad}' cannot be loaded", e.Message);
    }

    private static async Task<string> LastLoginClientAsync(BollardServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit?action=login&outcome=failure&limit=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin-password-123")));
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("events")[0].GetProperty("client").GetString()!;
    }

    private static async Task<HttpResponseMessage> ForwardedAsync(BollardServer server, string path, bool withCredentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "registry.example.com");
        if (withCredentials)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong-password-here")));
        return await server.Client.SendAsync(request);
    }

    private static Dictionary<string, string?> AuthOn(string? trusted) => new()
    {
        ["Auth:Enabled"] = "true",
        ["Auth:AdminPassword"] = "admin-password-123",
        ["Auth:PasswordIterations"] = "1000",
        ["Server:TrustedProxies"] = trusted,
    };

    [Fact]
    public async Task ForwardedHeaders_FromUntrustedPeer_AreIgnored()
    {
        await using var server = await BollardServer.StartAsync(AuthOn(null));
        using (var r = await ForwardedAsync(server, "/v2/", withCredentials: false))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains($"realm=\"http://{server.HostPort}/auth/token\"", r.Headers.WwwAuthenticate.ToString());
        }
        using (var r = await ForwardedAsync(server, "/auth/token?service=bollard", withCredentials: true))
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("127.0.0.1", await LastLoginClientAsync(server));
    }

    [Fact]
    public async Task ForwardedHeaders_FromTrustedProxy_GiveClientAddressAndPublicRealm()
    {
        await using var server = await BollardServer.StartAsync(AuthOn("127.0.0.0/8"));
        using (var r = await ForwardedAsync(server, "/v2/", withCredentials: false))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("realm=\"https://registry.example.com/auth/token\"", r.Headers.WwwAuthenticate.ToString());
        }
        using (var r = await ForwardedAsync(server, "/auth/token?service=bollard", withCredentials: true))
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("203.0.113.7", await LastLoginClientAsync(server));
    }

    [Fact]
    public void TrustedProxies_Garbage_FailsAtStartup()
    {
        var e = Assert.Throws<Bollard.Hosting.ConfigurationException>(() => Bollard.Hosting.BollardApplication.Build(null, new Dictionary<string, string?>
        {
            ["Server:Listen"] = "127.0.0.1:0",
            ["Storage:DataDir"] = Path.Combine(_dir, "d3"),
            ["Server:TrustedProxies"] = "not-an-address",
        }).Services.GetService(typeof(Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>)) is Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions> o ? o.Value : null);
        Assert.Contains("not-an-address", e.Message);
    }
}
