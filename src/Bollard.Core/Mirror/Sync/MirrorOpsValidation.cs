namespace Bollard.Core.Mirror.Sync;

/// <summary>The configuration problems of the mirror's operation (sync lists, eviction), one line each, so a bad entry fails the start, not a job weeks later.</summary>
public static class MirrorOpsValidation
{
    public static IReadOnlyList<string> Problems(MirrorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var router = new MirrorRouter(options);
        foreach (var upstream in options.Upstreams)
        {
            // Name problems are the router's configuration check; an upstream that cannot be found is skipped here.
            if (options.Find(upstream.Name) is null || upstream.Name.Length == 0) continue;
            foreach (string entry in upstream.Sync)
                if (!MirrorSyncTarget.TryParse(router, $"{upstream.Name}/{entry}", out _, out var problem))
                    problems.Add($"Mirror upstream {upstream.Name}: Sync entry '{entry}': {problem}");
            foreach (string platform in upstream.SyncPlatforms)
                if (!MirrorPlatform.TryParse(platform, out _))
                    problems.Add($"Mirror upstream {upstream.Name}: SyncPlatforms '{platform}' is not os/arch[/variant]");
            if (upstream.SyncInterval < TimeSpan.Zero) problems.Add($"Mirror upstream {upstream.Name}: SyncInterval must not be negative");
            if (upstream.EvictAfter is { } after && after <= TimeSpan.Zero) problems.Add($"Mirror upstream {upstream.Name}: EvictAfter must be positive (or left out to keep images)");
        }
        return problems;
    }
}
