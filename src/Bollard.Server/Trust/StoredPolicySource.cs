using Bollard.Core.Trust;
using Bollard.Trust.Policy;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Trust;

/// <summary>
/// The policies the engine evaluates: the current version of every stored policy, parsed once and cached until a change
/// (<see cref="Invalidate"/>). A stored document that no longer parses (written by another version of Bollard) is an
/// error in the log, never a crash, and fails closed: it still covers its namespace in its stored mode and every image
/// there violates it (<see cref="TrustPolicy.Unreadable"/>).
/// </summary>
public sealed partial class StoredPolicySource(ITrustPolicyStore store, ILogger<StoredPolicySource> logger) : ITrustPolicySource
{
    private volatile IReadOnlyList<VersionedTrustPolicy>? _current;

    private long _generation;

    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _current = null;
    }

    public async Task<IReadOnlyList<VersionedTrustPolicy>> ListAsync(CancellationToken ct)
    {
        if (_current is { } cached) return cached;
        // A change while reading must not leave the older list cached: keep it only when no invalidation came meanwhile.
        long generation = Interlocked.Read(ref _generation);
        var parsed = new List<VersionedTrustPolicy>();
        foreach (var version in await store.ListAsync(ct).ConfigureAwait(false))
        {
            if (version.Document is null) continue;
            if (TrustPolicyParser.TryParse(System.Text.Encoding.UTF8.GetBytes(version.Document), out var policy, out var errors)) parsed.Add(new VersionedTrustPolicy(policy, version.Version));
            else
            {
                string why = string.Join("; ", errors);
                Log.Unreadable(logger, version.Name, version.Version, why);
                // Fail closed: the namespace stays covered, in the stored mode, and every image there violates it.
                if (Bollard.Core.Auth.NamespacePattern.TryParse(version.Pattern, out var pattern, out _))
                    parsed.Add(new VersionedTrustPolicy(new TrustPolicy
                    {
                        Name = version.Name, Namespace = pattern, Mode = UnreadableMode(version.Mode), Unreadable = why,
                        Document = new TrustPolicyDocument { Name = version.Name, Namespace = version.Pattern, Mode = version.Mode },
                    }, version.Version));
            }
        }
        if (Interlocked.Read(ref _generation) == generation) _current = parsed;
        return parsed;
    }

    /// <summary>The stored mode column; anything unknown is enforce (an unreadable policy never opens a namespace).</summary>
    private static PolicyMode UnreadableMode(string? mode) => mode switch
    {
        "off" => PolicyMode.Off,
        "warn" => PolicyMode.Warn,
        _ => PolicyMode.Enforce,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 910, Level = LogLevel.Error, Message = "Stored trust policy {Name} v{Version} cannot be read; every image it covers violates it until it is saved again: {Errors}")]
        public static partial void Unreadable(ILogger logger, string name, long version, string errors);
    }
}
