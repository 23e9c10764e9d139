using Bollard.Core.Oci;

namespace Bollard.Core.Registry.Hooks;

/// <summary>Runs the registered <see cref="IPushCheck"/>s in order; the first refusal wins (every change that asks them: manifest writes, repository delete).</summary>
public static class PushChecks
{
    /// <exception cref="OciException">The first refusal, with its error and reason.</exception>
    public static async Task RunAsync(IReadOnlyList<IPushCheck> checks, PushCheckContext context, CancellationToken ct)
    {
        foreach (var check in checks)
        {
            var result = await check.CheckAsync(context, ct).ConfigureAwait(false);
            if (!result.Allowed) throw new OciException(result.Error!, result.Reason);
        }
    }
}
