using System.Globalization;
using Bollard.TrustBench;

// Trust bench (issue 9): signature verification ops/s (cosign, Sigstore bundle, Notation JWS) and admission decisions/s
// with p50/p99 for a Deployment of 8 containers under an enforcing allOf(5 keys) policy, cached and uncached, against a
// real `bollard serve` child over loopback HTTP. Usage: trust-bench [verify|admission|all] [BOLLARD_DLL]
// (bench/trust-bench.sh builds both and passes the dll). Every verdict and every review is checked: a failure aborts.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string what = args.Length > 0 ? args[0] : "all";
if (what is not ("verify" or "admission" or "all") || (what != "verify" && args.Length < 2))
{
    Console.Error.WriteLine("usage: trust-bench verify | trust-bench (admission|all) BOLLARD_DLL");
    return 2;
}
try
{
    if (what is "verify" or "all") VerifyBench.Run();
    if (what is "admission" or "all") await AdmissionBench.RunAsync(args[1]).ConfigureAwait(false);
    return 0;
}
catch (BenchFailedException e)
{
    Console.Error.WriteLine($"trust-bench FAILED: {e.Message}");
    return 1;
}
