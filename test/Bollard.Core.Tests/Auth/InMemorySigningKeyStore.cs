using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

/// <summary>An <see cref="ISigningKeyStore"/> in memory; tests read the private keys from it to forge tokens.</summary>
public sealed class InMemorySigningKeyStore : ISigningKeyStore
{
    private readonly Lock _lock = new();
    private readonly List<SigningKeyRecord> _keys = [];

    public int ListCalls { get; private set; }

    public IReadOnlyList<SigningKeyRecord> Keys
    {
        get { lock (_lock) return [.. _keys]; }
    }

    public ValueTask<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            ListCalls++;
            // Newest first, like the SQLite store; insertion order breaks ties (the fake clock may stand still).
            IReadOnlyList<SigningKeyRecord> list = _keys.Select((k, i) => (k, i)).OrderByDescending(x => x.k.CreatedAt).ThenByDescending(x => x.i).Select(x => x.k).ToList();
            return ValueTask.FromResult(list);
        }
    }

    public ValueTask AddAsync(SigningKeyRecord key, CancellationToken ct)
    {
        lock (_lock) _keys.Add(key);
        return ValueTask.CompletedTask;
    }

    public ValueTask RetireOthersAsync(string keepKeyId, DateTimeOffset now, CancellationToken ct)
    {
        lock (_lock)
            for (int i = 0; i < _keys.Count; i++)
                if (_keys[i].KeyId != keepKeyId && _keys[i].RetiredAt is null) _keys[i] = _keys[i] with { RetiredAt = now };
        return ValueTask.CompletedTask;
    }
}
