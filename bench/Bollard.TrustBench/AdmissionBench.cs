using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Client;
using Bollard.Core.Oci;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;
using Bollard.Trust.Signing;

namespace Bollard.TrustBench;

/// <summary>
/// Admission decisions over loopback HTTP against a real <c>bollard serve</c> child (admission authentication off):
/// 8 images pushed to <c>bench/app0..7:1</c>, each signed with 5 cosign keys (one <c>.sig</c> manifest of 5 layers, built
/// by <see cref="SignatureAttacher"/> over <see cref="RegistryClientArtifactSink"/>, as <c>bollard sign</c> does), an enforcing policy on <c>bench/**</c>
/// requiring allOf(k1..k5) (Kyverno's 21 s case), then one Deployment of 8 containers reviewed 500 times from the
/// cache, and 200 times on a restarted server whose decision cache lives 1 ms (every decision recomputed).
/// </summary>
internal static class AdmissionBench
{
    private const int Images = 8;
    private const int Keys = 5;
    private const int CachedReviews = 500;
    private const int UncachedReviews = 200;

    /// <summary>The concurrent-clients variant: this many clients, each with its own connection, reviewing at once.</summary>
    private const int Clients = 4;

    public static async Task RunAsync(string bollardDll)
    {
        string data = Directory.CreateTempSubdirectory("bollard-trust-bench-").FullName;
        bool keep = false;
        try
        {
            int port = FreePort();
            string host = $"127.0.0.1:{port}";
            (double P50, double P99, double PerSecond) cached, cachedConcurrent, uncached, uncachedConcurrent;
            using (var server = await BollardChild.StartAsync(bollardDll, data, port, []).ConfigureAwait(false))
            {
                using var http = Client(port);
                await SetUpAsync(http, host).ConfigureAwait(false);
                cached = await MeasureAsync(port, host, "cached", 1, warmUp: 20, CachedReviews).ConfigureAwait(false);
                cachedConcurrent = await MeasureAsync(port, host, "cached", Clients, warmUp: 20, CachedReviews).ConfigureAwait(false);
            }
            // BOLLARD_TRUST_BENCH_PROFILE=1: the uncached server logs each evaluation's spans and each tag resolution (Debug)
            // to its log file in the data folder, which is then kept and named.
            bool profile = Environment.GetEnvironmentVariable("BOLLARD_TRUST_BENCH_PROFILE") == "1";
            (string, string)[] environment = profile
                ? [("BOLLARD__Trust__Engine__CacheTtl", "00:00:00.001"), ("BOLLARD__Logging__LogLevel__Bollard.Trust", "Debug")]
                : [("BOLLARD__Trust__Engine__CacheTtl", "00:00:00.001")];
            using (var server = await BollardChild.StartAsync(bollardDll, data, port, environment).ConfigureAwait(false))
            {
                uncached = await MeasureAsync(port, host, "uncached", 1, warmUp: 5, UncachedReviews).ConfigureAwait(false);
                uncachedConcurrent = await MeasureAsync(port, host, "uncached", Clients, warmUp: 5, UncachedReviews).ConfigureAwait(false);
            }
            if (profile)
            {
                keep = true;
                Console.Error.WriteLine($"admission: profile logs kept in {data}");
            }
            Console.WriteLine();
            Console.WriteLine($"| admission, Deployment of {Images} containers, allOf {Keys} keys, loopback HTTP | clients | reviews | p50 | p99 | decisions/s | target |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
            Row("cached", 1, CachedReviews, cached, 10);
            Row("cached", Clients, CachedReviews, cachedConcurrent, 10);
            Row("uncached (Trust:Engine:CacheTtl 1 ms)", 1, UncachedReviews, uncached, 200);
            Row("uncached (Trust:Engine:CacheTtl 1 ms)", Clients, UncachedReviews, uncachedConcurrent, 200);
            Console.WriteLine();
        }
        finally
        {
            if (!keep)
                try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    private static void Row(string what, int clients, int reviews, (double P50, double P99, double PerSecond) m, double target) =>
        Console.WriteLine($"| {what} | {clients} | {reviews} | {m.P50:F2} ms | {m.P99:F2} ms | {m.PerSecond:N0} | p99 < {target} ms: {(m.P99 < target ? "met" : "NOT met")} |");

    private static HttpClient Client(int port) => new() { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task SetUpAsync(HttpClient http, string host)
    {
        var signers = Enumerable.Range(1, Keys).Select(_ => LocalSigner.GenerateEcdsaP256()).ToArray();
        var producer = SignatureVerifiers.ProducerFor(SignatureFormat.Cosign)!;
        using var registry = new RegistryClient(host, credentials: null, insecure: true);
        var attacher = new SignatureAttacher(new RegistryClientArtifactSink(registry), new SignatureAttacherOptions());
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Images; i++)
        {
            string repo = $"bench/app{i}";
            var (manifest, digest) = await PushImageAsync(http, repo, "1", i).ConfigureAwait(false);
            var input = new SigningInput(host, repo, digest, MediaTypes.OciManifest, manifest.Length, DateTimeOffset.UtcNow);
            foreach (var signer in signers)
            {
                var result = await attacher.AttachAsync(input, producer.Create(input, signer), CancellationToken.None).ConfigureAwait(false);
                if (result.AlreadyPresent) throw new BenchFailedException($"{repo}: a signature was already there");
            }
        }
        // One unsigned image: a review naming it must be denied, or the policy is not what is measured.
        await PushImageAsync(http, "bench/unsigned", "1", 99).ConfigureAwait(false);

        var policy = new JsonObject
        {
            ["name"] = "bench",
            ["namespace"] = "bench/**",
            ["mode"] = "enforce",
            ["signers"] = new JsonObject(signers.Select((s, k) => KeyValuePair.Create($"k{k + 1}", (JsonNode?)new JsonObject { ["key"] = s.PublicKeyPem }))),
            ["require"] = new JsonObject { ["allOf"] = new JsonArray(Enumerable.Range(1, Keys).Select(k => (JsonNode?)$"k{k}").ToArray()) },
        };
        using var content = new StringContent(new JsonObject { ["document"] = policy, ["comment"] = "trust bench" }.ToJsonString(), Encoding.UTF8, "application/json");
        using var put = await http.PutAsync(new Uri("/api/v1/policies/bench", UriKind.Relative), content).ConfigureAwait(false);
        if (!put.IsSuccessStatusCode)
            throw new BenchFailedException($"PUT /api/v1/policies/bench: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        Console.Error.WriteLine($"admission: {Images} images pushed and signed with {Keys} keys each, policy stored in {watch.Elapsed.TotalSeconds:F1} s");

        var denied = await ReviewAsync(http, Review(host, ["bench/unsigned:1"])).ConfigureAwait(false);
        if (denied.Allowed) throw new BenchFailedException("the unsigned image was admitted: the policy does not apply");
    }

    private static async Task<(byte[] Manifest, Digest Digest)> PushImageAsync(HttpClient http, string repo, string tag, int seed)
    {
        var layer = new byte[1024];
        new Random(seed).NextBytes(layer);
        var config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","config":{"Env":["BENCH={{{seed}}}"]},"rootfs":{"type":"layers","diff_ids":["{{{Digest.Sha256Of(layer)}}}"]}}""");
        await PushBlobAsync(http, repo, layer).ConfigureAwait(false);
        await PushBlobAsync(http, repo, config).ConfigureAwait(false);
        byte[] manifest = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{Digest.Sha256Of(config)}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{{Digest.Sha256Of(layer)}}}","size":{{{layer.Length}}}}]}""");
        await PutManifestAsync(http, repo, tag, manifest).ConfigureAwait(false);
        return (manifest, Digest.Sha256Of(manifest));
    }

    private static async Task PushBlobAsync(HttpClient http, string repo, byte[] data)
    {
        using var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PostAsync(new Uri($"/v2/{repo}/blobs/uploads/?digest={Digest.Sha256Of(data)}", UriKind.Relative), content).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created) throw new BenchFailedException($"blob push to {repo}: {(int)response.StatusCode}");
    }

    private static async Task PutManifestAsync(HttpClient http, string repo, string reference, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
        using var response = await http.PutAsync(new Uri($"/v2/{repo}/manifests/{reference}", UriKind.Relative), content).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new BenchFailedException($"manifest PUT {repo}:{reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
    }

    /// <summary>An AdmissionReview v1 CREATE of an apps/v1 Deployment (shape of test/testdata/admission/kubernetes-docs).</summary>
    private static byte[] Review(string host, IReadOnlyList<string> images)
    {
        var containers = new JsonArray(images.Select((image, i) => (JsonNode?)new JsonObject { ["name"] = $"c{i}", ["image"] = $"{host}/{image}" }).ToArray());
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = "705ab4f5-6393-11e8-b7cc-42010a800002",
                ["kind"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["kind"] = "Deployment" },
                ["resource"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["resource"] = "deployments" },
                ["requestKind"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["kind"] = "Deployment" },
                ["requestResource"] = new JsonObject { ["group"] = "apps", ["version"] = "v1", ["resource"] = "deployments" },
                ["name"] = "web",
                ["namespace"] = "bench",
                ["operation"] = "CREATE",
                ["userInfo"] = new JsonObject { ["username"] = "admin", ["uid"] = "014fbff9a07c", ["groups"] = new JsonArray("system:authenticated") },
                ["object"] = new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = "Deployment",
                    ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "bench" },
                    ["spec"] = new JsonObject
                    {
                        ["replicas"] = 1,
                        ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
                        ["template"] = new JsonObject
                        {
                            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } },
                            ["spec"] = new JsonObject { ["containers"] = containers },
                        },
                    },
                },
                ["oldObject"] = null,
                ["dryRun"] = false,
                ["options"] = new JsonObject { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = "CreateOptions" },
            },
        };
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }

    private static async Task<(bool Allowed, string Message)> ReviewAsync(HttpClient http, byte[] review)
    {
        using var content = new ByteArrayContent(review);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri("/admission/validate", UriKind.Relative), content).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) throw new BenchFailedException($"POST /admission/validate: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var r = doc.RootElement.GetProperty("response");
        string message = r.TryGetProperty("status", out var s) && s.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
        return (r.GetProperty("allowed").GetBoolean(), message);
    }

    /// <summary>
    /// <paramref name="count"/> reviews spread over <paramref name="clients"/> clients (one connection each) reviewing at
    /// once, each one request at a time; the latency of every review is counted, decisions/s over the whole run.
    /// </summary>
    private static async Task<(double, double, double)> MeasureAsync(int port, string host, string name, int clients, int warmUp, int count)
    {
        byte[] review = Review(host, Enumerable.Range(0, Images).Select(i => $"bench/app{i}:1").ToArray());
        var https = Enumerable.Range(0, clients).Select(_ => Client(port)).ToList();
        try
        {
            await Task.WhenAll(https.Select(async http =>
            {
                for (int i = 0; i < warmUp; i++) await CheckedReviewAsync(http, review).ConfigureAwait(false);
            })).ConfigureAwait(false);
            var latencies = new double[count];
            int next = -1;
            var total = Stopwatch.StartNew();
            await Task.WhenAll(https.Select(async http =>
            {
                for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                {
                    long start = Stopwatch.GetTimestamp();
                    await CheckedReviewAsync(http, review).ConfigureAwait(false);
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            })).ConfigureAwait(false);
            double seconds = total.Elapsed.TotalSeconds;
            Array.Sort(latencies);
            double p50 = latencies[(int)Math.Ceiling(0.50 * count) - 1], p99 = latencies[(int)Math.Ceiling(0.99 * count) - 1];
            double perSecond = count * Images / seconds;
            Console.Error.WriteLine($"admission {name}, {clients} client(s): {count} reviews in {seconds:F2} s, p50 {p50:F2} ms, p99 {p99:F2} ms, max {latencies[^1]:F2} ms, {perSecond:N0} decisions/s, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            return (p50, p99, perSecond);
        }
        finally
        {
            foreach (var http in https) http.Dispose();
        }
    }

    private static async Task CheckedReviewAsync(HttpClient http, byte[] review)
    {
        var (allowed, message) = await ReviewAsync(http, review).ConfigureAwait(false);
        if (!allowed) throw new BenchFailedException($"the signed Deployment was denied: {message}");
    }
}
