namespace Bollard.Core.Jobs;

/// <summary>A host that serves no requests (the CLI, tests of Core): background work never waits for them.</summary>
public sealed class NoForegroundActivity : IForegroundActivity
{
    public static readonly NoForegroundActivity Instance = new();

    public long Started => 0;

    public int InFlight => 0;
}
