namespace Bollard.Trust.Admission;

/// <summary>
/// The host names under which this registry is pulled from. Compared case-insensitively, with <c>:443</c> the same
/// as no port (a cluster writes <c>registry.example.com/app</c> for HTTPS on 443); any other port must match.
/// </summary>
public sealed class RegistryHosts
{
    private readonly HashSet<string> _names;

    public RegistryHosts(IEnumerable<string> names) =>
        _names = new HashSet<string>(names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(Normalize), StringComparer.Ordinal);

    public bool Contains(string host) => _names.Contains(Normalize(host));

    public IReadOnlyCollection<string> Names => _names;

    private static string Normalize(string host)
    {
        string h = host.Trim().ToLowerInvariant();
        return h.EndsWith(":443", StringComparison.Ordinal) ? h[..^4] : h;
    }
}
