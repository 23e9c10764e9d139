using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Support;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// Who may call the webhook: by default only a TLS client presenting a certificate from <c>Admission:ClientCaFile</c>
/// (the API server's), over the server's own TLS settings; a server never set up for it refuses everyone.
/// </summary>
public sealed class AdmissionClientCertificateTests(ITestOutputHelper output)
{
    private static readonly string Review = AdmissionSupport.Wrap(JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""")!);

    private static (X509Certificate2 Ca, ECDsa Key) Ca(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)), key);
    }

    private static X509Certificate2 Client((X509Certificate2 Ca, ECDsa Key) ca, string name, string eku = "1.3.6.1.5.5.7.3.2")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        using var cert = request.Create(ca.Ca, DateTimeOffset.UtcNow.AddMinutes(-4), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3, 4]);
        // An exported and re-imported PKCS#12, so the TLS stack can use the private key.
        return X509CertificateLoader.LoadPkcs12(cert.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    private static HttpClient TlsClient(Uri address, string serverCertificate, X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler();
        using var expected = X509Certificate2.CreateFromPem(File.ReadAllText(serverCertificate));
        string pinned = expected.Thumbprint;
        // The test's self-signed server certificate, pinned (what caBundle does for the API server).
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is X509Certificate2 c && c.Thumbprint == pinned;
        // Sent whatever CA names the server lists (as the API server's client-go does).
        if (certificate is not null) handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        return new HttpClient(handler) { BaseAddress = address };
    }

    [Fact]
    public async Task Default_WithoutAClientCa_RefusesEveryone_WithWhatToConfigure()
    {
        await using var server = await BollardServer.StartAsync(output: output);
        var (status, body) = await server.Client.PostAsync("/admission/validate", Review);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Admission:ClientCaFile", (string)body!["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientCertificate_FromTheConfiguredCa_IsAnswered_OthersAreRefused()
    {
        string dir = TempDir.Create("bollard-admission-tls-");
        try
        {
            var (cert, key) = SelfSignedCertificate.Write(dir);
            var apiServerCa = Ca("webhook clients");
            var otherCa = Ca("someone else");
            string caFile = Path.Combine(dir, "clients-ca.crt");
            await File.WriteAllTextAsync(caFile, apiServerCa.Ca.ExportCertificatePem());
            await using var server = await BollardServer.StartAsync(new Dictionary<string, string?>
            {
                ["Server:TlsCertificate"] = cert,
                ["Server:TlsKey"] = key,
                ["Admission:ClientCaFile"] = caFile,
                ["Admission:ClientNames:0"] = "kube-apiserver",
            }, output: output);
            Assert.Equal("https", server.BaseAddress.Scheme);

            using (var client = TlsClient(server.BaseAddress, cert, Client(apiServerCa, "kube-apiserver")))
            {
                var (status, body) = await client.PostAsync("/admission/validate", Review);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.False((bool)body!["response"]!["allowed"]!); // nginx is another registry's image
                // The rest of the server does not need a client certificate.
                using var health = await client.GetAsync("/healthz");
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
            using (var client = TlsClient(server.BaseAddress, cert, null))
            {
                var (status, body) = await client.PostAsync("/admission/validate", Review);
                Assert.Equal(HttpStatusCode.Unauthorized, status);
                Assert.Contains("no client certificate", (string)body!["message"]!, StringComparison.Ordinal);
                using var health = await client.GetAsync("/healthz");
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
            foreach (var (certificate, expected) in new[]
            {
                (Client(otherCa, "kube-apiserver"), "client certificate refused"),
                (Client(apiServerCa, "intruder"), "not in Admission:ClientNames"),
                (Client(apiServerCa, "kube-apiserver", eku: "1.3.6.1.5.5.7.3.1"), "client certificate refused"),
            })
            {
                using var client = TlsClient(server.BaseAddress, cert, certificate);
                var (status, body) = await client.PostAsync("/admission/validate", Review);
                Assert.Equal(HttpStatusCode.Forbidden, status);
                Assert.Contains(expected, (string)body!["message"]!, StringComparison.Ordinal);
            }
        }
        finally
        {
            TempDir.Delete(dir);
        }
    }

    [Fact]
    public async Task ClientCa_WithoutTls_StopsStartup()
    {
        string dir = TempDir.Create("bollard-admission-tls-");
        try
        {
            string caFile = Path.Combine(dir, "ca.crt");
            await File.WriteAllTextAsync(caFile, Ca("x").Ca.ExportCertificatePem());
            var e = await Assert.ThrowsAnyAsync<Exception>(() => BollardServer.StartAsync(new Dictionary<string, string?> { ["Admission:ClientCaFile"] = caFile }, output: output));
            Assert.Contains("client certificates need it", e.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            TempDir.Delete(dir);
        }
    }
}
