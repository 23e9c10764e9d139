using System.Diagnostics;
using System.Globalization;

namespace Bollard.MirrorBench;

/// <summary>
/// The three figures of issue 10's Performance section, side by side in one run, every round on new blobs:
/// (1) a cached pull through the mirror against a normal pull of the same image from the same Bollard (ratio >= 0.95);
/// (2) a miss through the mirror against a direct pull from the upstream docker-registry, one 256 MiB layer (overhead
/// under 10%); (3) a miss's first byte at the client against the end of the upstream transfer (the first byte must
/// come first), the upstream reached through a <see cref="TimingRelay"/>.
/// </summary>
/// (2') the same miss against a direct pull when the upstream sits behind a paced link (<c>BENCH_MIRROR_UPSTREAM_MBPS</c>,
/// default 250 MB/s = 2 Gbit/s; 0 skips it): on loopback the upstream sends faster than one core hashes SHA-256, which
/// no network to a real upstream does.
internal sealed class MirrorBench(string bollardDll, int rounds, long blobBytes, TextWriter tsv, long pacedBytesPerSecond)
{
    private const string Paced = "mirror/paced/" + Repo;
    private const string Repo = "bench/img";
    private const string NormalRepo = "bench/normal";
    private const string Mirrored = "mirror/up/" + Repo;
    private const string Relayed = "mirror/relayed/" + Repo;
    private const int CachedPairs = 5;

    private readonly List<Round> _rounds = [];
    private TimingRelay? _pacedRelay;
    private string _spool = "";

    private sealed record Round(int N, double Load, PullTiming Direct, PullTiming Miss, double CachedMbps, double NormalMbps,
        double UpstreamCpuWhileCached, PullTiming RelayedMiss, double UpstreamEndSeconds, double UpstreamCpuDirect, double BollardCpuMiss,
        double BollardSysMiss, double BollardCpuCached, double BollardCpuNormal, PullTiming? PacedDirect, PullTiming? PacedMiss);

    public async Task RunAsync()
    {
        string work = Directory.CreateTempSubdirectory("bollard-mirror-bench-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(work, "upstream"));
            Directory.CreateDirectory(Path.Combine(work, "bollard"));
            using var upstream = await ServerChild.StartDockerRegistryAsync(Path.Combine(work, "upstream")).ConfigureAwait(false);
            using var relay = new TimingRelay(upstream.Port);
            using var pacedRelay = new TimingRelay(upstream.Port, pacedBytesPerSecond);
            _pacedRelay = pacedRelay;
            using var bollard = await ServerChild.StartBollardAsync(bollardDll, Path.Combine(work, "bollard"),
            [
                ("BOLLARD__Mirror__Upstreams__0__Name", "up"),
                ("BOLLARD__Mirror__Upstreams__0__Url", upstream.BaseAddress.ToString().TrimEnd('/')),
                ("BOLLARD__Mirror__Upstreams__0__TagTtl", "01:00:00"),
                ("BOLLARD__Mirror__Upstreams__0__MirrorSignatures", "false"),
                ("BOLLARD__Mirror__Upstreams__1__Name", "relayed"),
                ("BOLLARD__Mirror__Upstreams__1__Url", $"http://127.0.0.1:{relay.Port}"),
                ("BOLLARD__Mirror__Upstreams__1__TagTtl", "01:00:00"),
                ("BOLLARD__Mirror__Upstreams__1__MirrorSignatures", "false"),
                ("BOLLARD__Mirror__Upstreams__2__Name", "paced"),
                ("BOLLARD__Mirror__Upstreams__2__Url", $"http://127.0.0.1:{pacedRelay.Port}"),
                ("BOLLARD__Mirror__Upstreams__2__TagTtl", "01:00:00"),
                ("BOLLARD__Mirror__Upstreams__2__MirrorSignatures", "false"),
            ]).ConfigureAwait(false);
            Console.Error.WriteLine($"mirror-bench: {rounds} rounds, {blobBytes / (1024 * 1024)} MiB layers; docker-registry :{upstream.Port}, relay :{relay.Port}, bollard :{bollard.Port}; work {work}");
            tsv.WriteLine("round\tload1\tfigure\tvalue\tunit");
            _spool = Path.Combine(work, "bollard", "mirror-spool");
            for (int r = 0; r < rounds; r++) _rounds.Add(await RoundAsync(r, upstream, bollard, relay).ConfigureAwait(false));
            Report();
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private async Task<Round> RoundAsync(int r, ServerChild upstream, ServerChild bollard, TimingRelay relay)
    {
        double load = LoadAverage();
        var layer = new PatternBlob(blobBytes, 1000 + r);
        var relayedLayer = new PatternBlob(blobBytes, 5000 + r);
        string tag = $"a{r}", relayedTag = $"t{r}";
        using (var seed = RegistryHttp.NewClient(upstream.BaseAddress))
        {
            await RegistryHttp.PushImageAsync(seed, Repo, tag, layer).ConfigureAwait(false);
            await RegistryHttp.PushImageAsync(seed, Repo, relayedTag, relayedLayer).ConfigureAwait(false);
        }

        // (2) miss vs direct; who goes first alternates. The manifest comes first, untimed, as a client's would.
        PullTiming direct = null!, miss = null!;
        double upstreamCpuDirect = 0, bollardCpuMiss = 0, bollardSysMiss = 0;
        for (int i = 0; i < 2; i++)
        {
            Sync();
            if ((i == 0) == (r % 2 == 0))
            {
                using var http = await ConnectAsync(upstream).ConfigureAwait(false);
                await RegistryHttp.GetManifestAsync(http, Repo, tag).ConfigureAwait(false);
                double cpu = upstream.CpuSeconds();
                direct = await RegistryHttp.GetBlobAsync(http, Repo, layer.Digest, layer.Length).ConfigureAwait(false);
                upstreamCpuDirect = upstream.CpuSeconds() - cpu;
            }
            else
            {
                using var http = await ConnectAsync(bollard).ConfigureAwait(false);
                await RegistryHttp.GetManifestAsync(http, Mirrored, tag).ConfigureAwait(false);
                var cpu = bollard.CpuSplit();
                miss = await RegistryHttp.GetBlobAsync(http, Mirrored, layer.Digest, layer.Length).ConfigureAwait(false);
                // To the client's last byte: the copy into the store that follows is not the client's wait.
                var after = bollard.CpuSplit();
                bollardCpuMiss = after.User + after.System - cpu.User - cpu.System;
                bollardSysMiss = after.System - cpu.System;
                await WaitForStoredAsync().ConfigureAwait(false);
            }
        }
        Write(r, load, "direct pull from docker-registry", direct.MegabytesPerSecond, "MB/s");
        Write(r, load, "miss through the mirror", miss.MegabytesPerSecond, "MB/s");
        Write(r, load, "docker-registry CPU during the direct pull", upstreamCpuDirect, "s");
        Write(r, load, "bollard CPU during the miss (to the last byte)", bollardCpuMiss, "s");
        Write(r, load, "bollard system CPU during the miss", bollardSysMiss, "s");

        // (1) cached through the mirror vs a normal pull of the same image (pushed to a plain repository of the same Bollard).
        using (var push = await ConnectAsync(bollard).ConfigureAwait(false))
            await RegistryHttp.PushImageAsync(push, NormalRepo, tag, layer).ConfigureAwait(false);
        using (var check = await ConnectAsync(bollard).ConfigureAwait(false))
            await RegistryHttp.GetBlobAsync(check, Mirrored, layer.Digest, layer.Length, verify: true).ConfigureAwait(false);
        Sync();
        double upstreamCpu = upstream.CpuSeconds();
        var cached = new List<double>();
        var normal = new List<double>();
        double cachedCpu = 0, normalCpu = 0;
        for (int i = 0; i < CachedPairs * 2; i++)
        {
            bool mirrorTurn = (i % 2 == 0) == (r % 2 == 0);
            using var http = await ConnectAsync(bollard).ConfigureAwait(false);
            double cpu = bollard.CpuSeconds();
            var t = await RegistryHttp.PullImageAsync(http, mirrorTurn ? Mirrored : NormalRepo, tag, layer).ConfigureAwait(false);
            cpu = bollard.CpuSeconds() - cpu;
            (mirrorTurn ? cached : normal).Add(t.MegabytesPerSecond);
            if (mirrorTurn) cachedCpu += cpu / CachedPairs; else normalCpu += cpu / CachedPairs;
        }
        upstreamCpu = upstream.CpuSeconds() - upstreamCpu;
        double cachedMbps = Median(cached), normalMbps = Median(normal);
        Write(r, load, "cached pull through the mirror", cachedMbps, "MB/s");
        Write(r, load, "normal pull from Bollard", normalMbps, "MB/s");
        Write(r, load, "docker-registry CPU during the cached pulls", upstreamCpu, "s");
        Write(r, load, "bollard CPU per cached pull", cachedCpu, "s");
        Write(r, load, "bollard CPU per normal pull", normalCpu, "s");

        // (3) time to the first byte of a miss vs the end of the upstream transfer (as the relay saw it).
        Sync();
        PullTiming relayed;
        double upstreamEnd;
        using (var http = await ConnectAsync(bollard).ConfigureAwait(false))
        {
            await RegistryHttp.GetManifestAsync(http, Relayed, relayedTag).ConfigureAwait(false);
            relayed = await RegistryHttp.GetBlobAsync(http, Relayed, relayedLayer.Digest, relayedLayer.Length).ConfigureAwait(false);
            upstreamEnd = Stopwatch.GetElapsedTime(relayed.StartTimestamp, relay.LastDownstreamTimestamp).TotalSeconds;
        }
        await WaitForStoredAsync().ConfigureAwait(false);
        Write(r, load, "miss: first byte at the client", relayed.FirstByteSeconds * 1000, "ms");
        Write(r, load, "miss: upstream transfer end", upstreamEnd * 1000, "ms");
        Write(r, load, "miss: last byte at the client", relayed.Seconds * 1000, "ms");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round {r + 1}/{rounds} (load {load:F1}): direct {direct.Seconds:F2} s, miss {miss.Seconds:F2} s ({(miss.Seconds / direct.Seconds - 1) * 100:+0.0;-0.0}%); cached {cachedMbps:F0} MB/s vs normal {normalMbps:F0} MB/s ({cachedMbps / normalMbps:F3}); first byte {relayed.FirstByteSeconds * 1000:F1} ms, upstream end {upstreamEnd * 1000:F0} ms"));
        var (pacedDirect, pacedMiss) = await PacedAsync(r, bollard, load).ConfigureAwait(false);
        return new Round(r, load, direct, miss, cachedMbps, normalMbps, upstreamCpu, relayed, upstreamEnd, upstreamCpuDirect, bollardCpuMiss,
            bollardSysMiss, cachedCpu, normalCpu, pacedDirect, pacedMiss);
    }

    private void Report()
    {
        var o = Console.Out;
        double mib = blobBytes / (1024.0 * 1024);
        var ratio = _rounds.Select(x => x.CachedMbps / x.NormalMbps).ToList();
        var overhead = _rounds.Select(x => (x.Miss.Seconds / x.Direct.Seconds - 1) * 100).ToList();
        var ttfbShare = _rounds.Select(x => x.RelayedMiss.FirstByteSeconds / x.UpstreamEndSeconds).ToList();
        bool firstByteEarlier = _rounds.All(x => x.RelayedMiss.FirstByteSeconds < x.UpstreamEndSeconds);
        o.WriteLine();
        o.WriteLine($"| mirror bench, {_rounds.Count} rounds, one {mib:F0} MiB layer per image | median (min–max) | unit |");
        o.WriteLine("| --- | ---: | --- |");
        Row("cached image pull through the mirror (manifest by tag + config + layer)", _rounds.Select(x => x.CachedMbps), "MB/s");
        Row("normal image pull of the same image from Bollard", _rounds.Select(x => x.NormalMbps), "MB/s");
        Row("**ratio cached mirror / normal** (target >= 0.95)", ratio, "x", "F3");
        Row("docker-registry CPU during the cached pulls (0: no upstream work)", _rounds.Select(x => x.UpstreamCpuWhileCached), "s", "F2");
        Row("Bollard CPU per cached image pull through the mirror", _rounds.Select(x => x.BollardCpuCached), "s", "F3");
        Row("Bollard CPU per normal image pull", _rounds.Select(x => x.BollardCpuNormal), "s", "F3");
        Row("direct layer pull from docker-registry", _rounds.Select(x => x.Direct.Seconds), "s", "F3");
        Row("the same layer, a miss through the mirror (stored while streamed)", _rounds.Select(x => x.Miss.Seconds), "s", "F3");
        Row("direct pull throughput", _rounds.Select(x => x.Direct.MegabytesPerSecond), "MB/s");
        Row("miss throughput", _rounds.Select(x => x.Miss.MegabytesPerSecond), "MB/s");
        Row("**miss overhead vs direct** (target < 10%)", overhead, "%", "F1");
        Row("docker-registry CPU during the direct pull", _rounds.Select(x => x.UpstreamCpuDirect), "s", "F2");
        Row("Bollard CPU during the miss, to the client's last byte (fetch, hash, spool, serve)", _rounds.Select(x => x.BollardCpuMiss), "s", "F2");
        Row("  of which system (kernel) CPU", _rounds.Select(x => x.BollardSysMiss), "s", "F2");
        Row("miss: first byte at the client", _rounds.Select(x => x.RelayedMiss.FirstByteSeconds * 1000), "ms", "F1");
        Row("miss: end of the upstream transfer (relay)", _rounds.Select(x => x.UpstreamEndSeconds * 1000), "ms", "F0");
        Row("miss: last byte at the client", _rounds.Select(x => x.RelayedMiss.Seconds * 1000), "ms", "F0");
        Row("first byte / upstream end", ttfbShare, "x", "F4");
        if (_rounds.All(x => x.PacedDirect is not null && x.PacedMiss is not null))
        {
            string rate = (pacedBytesPerSecond / 1e6).ToString("F0", CultureInfo.InvariantCulture);
            Row($"direct layer pull, upstream behind a {rate} MB/s link", _rounds.Select(x => x.PacedDirect!.Seconds), "s", "F3");
            Row($"the same, a miss through the mirror from that upstream", _rounds.Select(x => x.PacedMiss!.Seconds), "s", "F3");
            Row($"**miss overhead vs direct, upstream at {rate} MB/s**", _rounds.Select(x => (x.PacedMiss!.Seconds / x.PacedDirect!.Seconds - 1) * 100), "%", "F1");
        }
        Row("conditions: load average (1 min) at the start of the round", _rounds.Select(x => x.Load), "1-min", "F1");
        o.WriteLine();
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"targets: cached/normal {Median(ratio):F3} (>= 0.95: {(Median(ratio) >= 0.95 ? "met" : "NOT met")}); miss overhead {Median(overhead):F1}% (< 10%: {(Median(overhead) < 10 ? "met" : "NOT met")}); first byte before the upstream transfer ends in {_rounds.Count(x => x.RelayedMiss.FirstByteSeconds < x.UpstreamEndSeconds)}/{_rounds.Count} rounds ({(firstByteEarlier ? "met" : "NOT met")})"));

        void Row(string name, IEnumerable<double> values, string unit, string format = "F0")
        {
            var v = values.ToList();
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Median(v).ToString(format, CultureInfo.InvariantCulture)} ({v.Min().ToString(format, CultureInfo.InvariantCulture)}–{v.Max().ToString(format, CultureInfo.InvariantCulture)}) | {unit} |"));
        }
    }

    /// <summary>(2'): a direct pull through the paced relay and a miss whose upstream is that relay, who goes first alternating.</summary>
    private async Task<(PullTiming? Direct, PullTiming? Miss)> PacedAsync(int r, ServerChild bollard, double load)
    {
        if (pacedBytesPerSecond <= 0 || _pacedRelay is null) return (null, null);
        var layer = new PatternBlob(blobBytes, 9000 + r);
        string tag = $"p{r}";
        var relayAddress = new Uri($"http://127.0.0.1:{_pacedRelay.Port}/");
        using (var seed = RegistryHttp.NewClient(relayAddress))
            await RegistryHttp.PushImageAsync(seed, Repo, tag, layer).ConfigureAwait(false);
        PullTiming direct = null!, miss = null!;
        for (int i = 0; i < 2; i++)
        {
            Sync();
            if ((i == 0) == (r % 2 == 0))
            {
                using var http = RegistryHttp.NewClient(relayAddress);
                using (var v2 = await http.GetAsync("/v2/").ConfigureAwait(false)) { }
                await RegistryHttp.GetManifestAsync(http, Repo, tag).ConfigureAwait(false);
                direct = await RegistryHttp.GetBlobAsync(http, Repo, layer.Digest, layer.Length).ConfigureAwait(false);
            }
            else
            {
                using var http = await ConnectAsync(bollard).ConfigureAwait(false);
                await RegistryHttp.GetManifestAsync(http, Paced, tag).ConfigureAwait(false);
                miss = await RegistryHttp.GetBlobAsync(http, Paced, layer.Digest, layer.Length).ConfigureAwait(false);
                await WaitForStoredAsync().ConfigureAwait(false);
            }
        }
        Write(r, load, "direct pull through the paced upstream link", direct.MegabytesPerSecond, "MB/s");
        Write(r, load, "miss through the mirror from the paced upstream", miss.MegabytesPerSecond, "MB/s");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round {r + 1}: paced upstream ({pacedBytesPerSecond / 1e6:F0} MB/s): direct {direct.Seconds:F2} s, miss {miss.Seconds:F2} s ({(miss.Seconds / direct.Seconds - 1) * 100:+0.0;-0.0}%)"));
        return (direct, miss);
    }

    private static async Task<HttpClient> ConnectAsync(ServerChild server)
    {
        var http = RegistryHttp.NewClient(server.BaseAddress);
        using var v2 = await http.GetAsync("/v2/").ConfigureAwait(false); // the connection is open before any clock starts
        return v2.IsSuccessStatusCode ? http : throw new BenchFailedException($"{server.Name} /v2/ answered {(int)v2.StatusCode}");
    }

    private void Write(int round, double load, string figure, double value, string unit) =>
        tsv.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round + 1}\t{load:F2}\t{figure}\t{value:F3}\t{unit}"));

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static double LoadAverage() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>
    /// Waits until the mirror has stored what it fetched (its spool files are deleted once the blob is in the store), so
    /// that the background copy into the store is in no later step's time.
    /// </summary>
    private async Task WaitForStoredAsync()
    {
        var watch = Stopwatch.StartNew();
        while (Directory.Exists(_spool) && Directory.EnumerateFiles(_spool, "*.spool").Any())
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(5)) throw new BenchFailedException($"the mirror did not store its fetch within 5 minutes ({_spool})");
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>Writes dirty pages out before a timed step, so that one step's writeback does not land in the next one's time.</summary>
    private static void Sync()
    {
        using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false }) ?? throw new BenchFailedException("sync did not start");
        sync.WaitForExit();
    }
}
