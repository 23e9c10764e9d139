using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Jobs;
using Bollard.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Metrics;

/// <summary>
/// <c>/metrics</c> as Prometheus sees it: the text passes <c>promtool check metrics</c>, and a real Prometheus server
/// (Debian's package, started here on loopback, scraping every second with the bearer secret) stores the series the
/// documentation promises, read back through its HTTP query API.
/// </summary>
public sealed class PrometheusScrapeTests
{
    private const string Secret = "metrics-secret-0123456789";
    private const string ManifestRoute = "/v2/{name}/manifests/{reference}";

    [Fact]
    public async Task Metrics_pass_promtool_and_label_requests_by_route_template_not_by_repository()
    {
        ExternalTool.Require("promtool");
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Metrics:StoreReadInterval"] = "00:00:00" });
        string repo = "metrics-" + Guid.NewGuid().ToString("N")[..8] + "/app";
        var (manifest, digest) = await server.Client.PushImageAsync(repo, "v1");
        for (int i = 0; i < 3; i++)
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/v1");
            get.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            using var r = await server.Client.SendAsync(get);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using (var missing = await server.Client.GetAsync($"/v2/{repo}/manifests/nope")) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var probe = await server.Client.GetAsync("/wp-login.php")) Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        GC.Collect(); // the server runs in this process: at least one runtime pause to count

        string text = await server.Client.GetStringAsync("/metrics");

        string file = Path.Combine(server.DataDir, "metrics.txt");
        await File.WriteAllTextAsync(file, text);
        var check = await ExternalTool.RunAsync("sh", ["-c", $"promtool check metrics < '{file}'"]);
        Assert.True(check.ExitCode == 0 && check.Stdout.Trim().Length == 0 && check.Stderr.Trim().Length == 0, check.Describe());

        Assert.Equal(3, Sample(text, "bollard_http_requests_total", ("route", ManifestRoute), ("method", "GET"), ("code", "200")));
        Assert.Equal(1, Sample(text, "bollard_http_requests_total", ("route", ManifestRoute), ("method", "GET"), ("code", "404")));
        Assert.Equal(1, Sample(text, "bollard_http_requests_total", ("route", "unmatched"), ("method", "GET"), ("code", "404")));
        Assert.Equal(1, Sample(text, "bollard_http_requests_total", ("route", ManifestRoute), ("method", "PUT"), ("code", "201")));
        Assert.Equal(4, Sample(text, "bollard_http_request_duration_seconds_count", ("route", ManifestRoute), ("method", "GET")));
        // Bytes really sent: three manifest bodies (the 404's error body adds a little).
        Assert.InRange(Sample(text, "bollard_http_response_body_bytes_total", ("route", ManifestRoute)), 3 * manifest.Length, 3 * manifest.Length + 1000);
        Assert.True(Sample(text, "bollard_http_request_body_bytes_total", ("route", "/v2/{name}/blobs/uploads/")) > 2048); // monolithic POST ?digest=
        // No repository name, digest or probed path becomes a label value.
        Assert.DoesNotContain(repo, text, StringComparison.Ordinal);
        Assert.DoesNotContain(digest, text, StringComparison.Ordinal);
        Assert.DoesNotContain("wp-login", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total", text, StringComparison.Ordinal);
        Assert.True(Sample(text, "bollard_dotnet_gc_pause_seconds_total") > 0, "the runtime's pauses are counted");
    }

    [Fact]
    public async Task Chunked_upload_without_content_length_counts_the_bytes_received()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Metrics:StoreReadInterval"] = "00:00:00" });
        using var start = await server.Client.PostAsync("/v2/chunked/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var data = RegistryTestClient.RandomBytes(100_000);
        using var patch = new HttpRequestMessage(HttpMethod.Patch, start.Headers.Location) { Content = new StreamContent(new MemoryStream(data)) };
        patch.Headers.TransferEncodingChunked = true; // what docker does: no Content-Length
        patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var patched = await server.Client.SendAsync(patch);
        Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
        string text = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(data.Length, Sample(text, "bollard_http_request_body_bytes_total", ("route", "/v2/{name}/blobs/uploads/{uuid}")));
    }

    [Fact]
    public async Task Real_prometheus_scrapes_with_the_bearer_secret_and_reads_requests_jobs_and_auth_failures()
    {
        ExternalTool.Require("prometheus");
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?>
        {
            ["Metrics:BearerToken"] = Secret,
            ["Metrics:StoreReadInterval"] = "00:00:00",
        });
        var server = access.Server;

        // Without the secret: refused, and nothing is revealed.
        using (var anonymous = await server.Client.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.DoesNotContain("bollard_", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret + "x");
            using var r = await server.Client.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }

        // Something to count: two refused logins and a job of a kind no node handles (it stays queued).
        for (int i = 0; i < 2; i++)
        {
            using var bad = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            bad.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong-password")));
            using var r = await server.Client.SendAsync(bad);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        var jobs = server.Services.GetRequiredService<IJobStore>();
        await jobs.EnqueueAsync("metrics-probe", "{}", DateTimeOffset.UtcNow, 1, default);

        await using var prometheus = await PrometheusProcess.StartAsync(server.HostPort, Secret);
        Assert.Equal(1, await prometheus.WaitForValueAsync("up{job=\"bollard\"}", v => v == 1));
        Assert.Equal(2, await prometheus.WaitForValueAsync("sum(bollard_auth_failures_total{reason=\"invalid_credentials\"})", v => v >= 2));
        Assert.Equal(1, await prometheus.WaitForValueAsync("bollard_jobs{kind=\"metrics-probe\",state=\"queued\"}", v => v == 1));
        // Prometheus' own scrapes are requests too: the series grows while it runs.
        Assert.True(await prometheus.WaitForValueAsync("sum(bollard_http_requests_total{route=\"/metrics\",code=\"200\"})", v => v >= 2) >= 2);
        Assert.True(await prometheus.WaitForValueAsync("bollard_http_request_duration_seconds_count{route=\"/metrics\",method=\"GET\"}", v => v >= 2) >= 2);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sample(string text, string name, params (string Key, string Value)[] labels)
    {
        var matches = text.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => labels.All(p => l.Contains($"{p.Key}=\"{p.Value}\"", StringComparison.Ordinal)))
            .ToList();
        Assert.True(matches.Count == 1, $"expected one sample of {name} with {string.Join(',', labels)}; found {matches.Count}:\n{string.Join('\n', text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal)))}");
        return double.Parse(matches[0][(matches[0].LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>A real Prometheus on a free loopback port with its own data folder, scraping Bollard every second.</summary>
    private sealed class PrometheusProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _dir;
        private readonly HttpClient _http;
        private readonly StringBuilder _log = new();

        private PrometheusProcess(Process process, string dir, Uri address)
        {
            _process = process;
            _dir = dir;
            _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        }

        public static async Task<PrometheusProcess> StartAsync(string target, string secret)
        {
            string dir = TempDir.Create("bollard-prom-");
            string config = Path.Combine(dir, "prometheus.yml");
            await File.WriteAllTextAsync(config, $"""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: bollard
                    metrics_path: /metrics
                    authorization:
                      type: Bearer
                      credentials: {secret}
                    static_configs:
                      - targets: ["{target}"]
                """);
            int port = FreePort();
            var psi = new ProcessStartInfo("prometheus")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir,
            };
            foreach (var a in new[]
            {
                $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir, "data")}", $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            }) psi.ArgumentList.Add(a);
            var process = Process.Start(psi)!;
            var p = new PrometheusProcess(process, dir, new Uri($"http://127.0.0.1:{port}/"));
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (p._log) p._log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (p._log) p._log.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return p;
        }

        /// <summary>Polls the instant query until its single value satisfies <paramref name="done"/> (Prometheus needs a few scrapes).</summary>
        public async Task<double> WaitForValueAsync(string query, Func<double, bool> done)
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            string last = "";
            while (DateTime.UtcNow < deadline)
            {
                if (_process.HasExited) Assert.Fail($"prometheus exited with {_process.ExitCode}:\n{Log()}");
                try
                {
                    last = await _http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(query));
                    var result = JsonNode.Parse(last)!["data"]!["result"]!.AsArray();
                    if (result.Count == 1)
                    {
                        double value = double.Parse(result[0]!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture);
                        if (done(value)) return value;
                    }
                }
                catch (HttpRequestException e)
                {
                    last = e.Message; // not listening yet
                }
                await Task.Delay(250);
            }
            string targets = "";
            try { targets = await _http.GetStringAsync("api/v1/targets"); } catch (HttpRequestException) { }
            Assert.Fail($"prometheus never answered {query} as expected; last answer: {last}\ntargets: {targets}\nlog:\n{Log()}");
            return double.NaN;
        }

        private string Log()
        {
            lock (_log) return _log.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
