using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Registry;

/// <summary><see cref="IUploadStore"/> in memory, for Core unit tests.</summary>
public sealed class InMemoryUploadStore : IUploadStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, UploadRecord> _rows = new(StringComparer.Ordinal);

    public ValueTask CreateAsync(UploadRecord upload, CancellationToken ct)
    {
        lock (_lock) _rows.Add(upload.Id, upload);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> TryCreateAsync(UploadRecord upload, int maxOpenPerOwner, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_rows.Values.Count(r => r.Owner == upload.Owner) >= maxOpenPerOwner) return ValueTask.FromResult(false);
            _rows.Add(upload.Id, upload);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<UploadRecord?> GetAsync(string id, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_rows.GetValueOrDefault(id));
    }

    public ValueTask TouchAsync(string id, DateTimeOffset now, CancellationToken ct)
    {
        lock (_lock)
            if (_rows.TryGetValue(id, out var r)) _rows[id] = r with { UpdatedAt = now };
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAsync(string id, CancellationToken ct)
    {
        lock (_lock) _rows.Remove(id);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<UploadRecord>> ListAsync(CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult<IReadOnlyList<UploadRecord>>([.. _rows.Values.OrderBy(r => r.Id, StringComparer.Ordinal)]);
    }

    public ValueTask<int> CountByOwnerAsync(string owner, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_rows.Values.Count(r => r.Owner == owner));
    }
}
