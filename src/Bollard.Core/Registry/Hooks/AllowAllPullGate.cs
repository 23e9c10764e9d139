namespace Bollard.Core.Registry.Hooks;

/// <summary>The pull gate when no policy is configured: everything that access control lets through is served.</summary>
public sealed class AllowAllPullGate : IPullGate
{
    public ValueTask<PullDecision> DecideAsync(PullGateContext context, CancellationToken ct) => new(PullDecision.Allow);
}
