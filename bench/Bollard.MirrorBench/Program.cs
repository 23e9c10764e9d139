using System.Globalization;
using Bollard.MirrorBench;

// Mirror bench (issue 10): cached pull through the mirror vs a normal pull, a miss vs a direct pull from the upstream
// docker-registry, and a miss's first byte vs the upstream transfer's end, against a real `bollard serve` child.
// Usage: mirror-bench BOLLARD_DLL [ROUNDS] [LAYER_MIB] [TSV_OUT]   (bench/mirror-bench.sh builds and passes them).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: mirror-bench BOLLARD_DLL [ROUNDS] [LAYER_MIB] [TSV_OUT]");
    return 2;
}
int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
long mib = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 256;
using var tsv = args.Length > 3 ? new StreamWriter(args[3]) : TextWriter.Null;
try
{
    long pacedMbps = long.Parse(Environment.GetEnvironmentVariable("BENCH_MIRROR_UPSTREAM_MBPS") ?? "250", CultureInfo.InvariantCulture);
    await new MirrorBench(args[0], rounds, mib * 1024 * 1024, tsv, pacedMbps * 1_000_000).RunAsync().ConfigureAwait(false);
    return 0;
}
catch (BenchFailedException e)
{
    Console.Error.WriteLine($"mirror-bench FAILED: {e.Message}");
    return 1;
}
