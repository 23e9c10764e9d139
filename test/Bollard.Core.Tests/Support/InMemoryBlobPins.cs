using Bollard.Core.Gc;
using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Support;

/// <summary>Pins kept in memory; <see cref="Deleting"/> makes a digest refuse pins as GC's 'deleting' state does.</summary>
public sealed class InMemoryBlobPins : IBlobPins
{
    private readonly Dictionary<string, Digest> _pins = new(StringComparer.Ordinal);

    public HashSet<Digest> Deleting { get; } = [];

    public IReadOnlyCollection<Digest> Pinned
    {
        get { lock (_pins) return _pins.Values.ToList(); }
    }

    public ValueTask<bool> TryPinAsync(Digest digest, string token, TimeSpan lifetime, CancellationToken ct)
    {
        lock (_pins)
        {
            if (Deleting.Contains(digest)) return ValueTask.FromResult(false);
            _pins[token] = digest;
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask UnpinAsync(string token, CancellationToken ct)
    {
        lock (_pins) _pins.Remove(token);
        return ValueTask.CompletedTask;
    }
}
