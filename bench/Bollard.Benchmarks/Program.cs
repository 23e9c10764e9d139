using System.Globalization;
using Bollard.Benchmarks;

// The client half of bench/run.sh. Every measuring command prints one line of key=value pairs for the script.
// Sizes are in MiB (2^20 bytes); every speed is printed in MB/s (10^6 bytes/s), like dd and openssl.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

const string Usage = """
    usage: bollard-bench COMMAND ARGS
      free-port                                   print a free TCP port on 127.0.0.1
      wait-http URL [SECONDS]                     wait until URL answers (any HTTP status)
      push-mono URL REPO MIB SEED [single-post]   POST + PUT ?digest= with the whole blob (or one POST ?digest=)
      push-chunked URL REPO MIB CHUNK_MIB SEED    POST, PATCH chunks with Content-Range, PUT ?digest=
      pull URL REPO DIGEST                        GET a blob, discarding the bytes
      loopback MIB                                one TCP stream over 127.0.0.1
      sha256 MIB                                  .NET SHA-256 over in-memory data, one thread
      make-image DIR TAG LAYERS LAYER_MIB SEED    write an OCI image layout (gzip layers of random data)
      parse-wrk FILE                              requests/s and p99 from `wrk --latency` output
      summarize RESULTS.tsv                       markdown table of medians and ratios
      start-time PORT PATH IDLE_S -- COMMAND ARGS  ms from process start to the first HTTP answer on
                                                  127.0.0.1:PORT, then idle RSS/PSS after IDLE_S seconds
      scan-import DATA PATH...                    import advisory files into DATA/bollard.db
      scan-image DATA LAYOUT TAG                  inventory (layer cache in DATA) + match one image of an OCI layout
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
    string[] a = args[1..];
    switch (args[0])
    {
        case "free-port":
            Console.WriteLine(Net.FreePort());
            return 0;
        case "wait-http":
            return await Net.WaitHttpAsync(new Uri(a[0]), TimeSpan.FromSeconds(Int(a, 1, 60))) ? 0 : 1;
        case "push-mono":
            Console.WriteLine(await BlobClient.PushMonolithicAsync(new Uri(a[0]), a[1], Mib(a, 2), Int(a, 3, 1), singlePost: a.Length > 4 && a[4] == "single-post"));
            return 0;
        case "push-chunked":
            Console.WriteLine(await BlobClient.PushChunkedAsync(new Uri(a[0]), a[1], Mib(a, 2), Mib(a, 3), Int(a, 4, 1)));
            return 0;
        case "pull":
            Console.WriteLine(await BlobClient.PullAsync(new Uri(a[0]), a[1], a[2]));
            return 0;
        case "loopback":
            Console.WriteLine(await MachineLimits.LoopbackAsync(Mib(a, 0)));
            return 0;
        case "sha256":
            Console.WriteLine(MachineLimits.Sha256(Mib(a, 0)));
            return 0;
        case "make-image":
            Console.WriteLine(OciImageBuilder.Build(a[0], a[1], Int(a, 2, 20), Mib(a, 3), Int(a, 4, 1)));
            return 0;
        case "parse-wrk":
            Console.WriteLine(WrkOutput.Parse(File.ReadAllText(a[0])));
            return 0;
        case "start-time":
            if (a.Length < 5 || a[3] != "--") throw new BenchException("usage: start-time PORT PATH IDLE_S -- COMMAND ARGS");
            Console.WriteLine(await StartTime.MeasureAsync(
                new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Int(a, 0, 0)), a[1], TimeSpan.FromSeconds(60),
                TimeSpan.FromSeconds(double.Parse(a[2], CultureInfo.InvariantCulture)), a[4..]));
            return 0;
        case "scan-import":
            Console.WriteLine(await ScanDriver.ImportAsync(a[0], a[1..]));
            return 0;
        case "scan-image":
            Console.WriteLine(await ScanDriver.ScanAsync(a[0], a[1], a[2]));
            return 0;
        case "summarize":
            Console.Write(Summary.Render(a[0]));
            return 0;
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
catch (BenchException e)
{
    Console.Error.WriteLine($"bollard-bench {args[0]}: {e.Message}");
    return 1;
}

static long Mib(string[] a, int i) => long.Parse(a[i], CultureInfo.InvariantCulture) * 1024 * 1024;

static int Int(string[] a, int i, int fallback) => a.Length > i ? int.Parse(a[i], CultureInfo.InvariantCulture) : fallback;
