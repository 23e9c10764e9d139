namespace Bollard.Core.Registry.Hooks;

/// <summary>
/// A rule every manifest/tag change must pass (immutability, quotas, signature-on-push policy plug in here).
/// Runs inside the change's metadata transaction, after the registry's own checks and before anything is
/// written, so a refusal leaves no trace (no rows, no events). Register any number with
/// <c>services.AddSingleton&lt;IPushCheck, X&gt;()</c>; they run in registration order and the first refusal wins.
/// None is registered by default.
/// </summary>
/// <remarks>
/// The transaction holds the metadata writer (SQLite: the only one) while checks run: read through
/// <see cref="PushCheckContext.Reads"/>, keep it cheap, never call the network. Slow inputs (scan results,
/// signatures) belong in a job or event subscriber that precomputes what the check reads.
/// </remarks>
public interface IPushCheck
{
    ValueTask<PushCheckResult> CheckAsync(PushCheckContext context, CancellationToken ct);
}
