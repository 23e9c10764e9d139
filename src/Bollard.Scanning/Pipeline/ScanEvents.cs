using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Scanning.Pipeline;

/// <summary>Appends the pipeline's own events (<c>ImageScanned</c>, <c>FindingsChanged</c>), each in its own short transaction, so webhooks and the audit see them.</summary>
public sealed class ScanEvents(IMetadataStore metadata, TimeProvider time)
{
    /// <summary>Longest <see cref="RegistryEvent.Detail"/> written (lists of advisory ids are cut with "+N more").</summary>
    public const int MaxDetail = 2000;

    public async Task AppendAsync(RegistryEventKind kind, IEnumerable<RepositoryName> repositories, Digest digest, string detail, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repositories);
        var list = repositories.ToList();
        if (list.Count == 0) return;
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            var now = time.GetUtcNow();
            foreach (var repository in list)
                await tx.AppendEventAsync(new RegistryEvent
                {
                    Kind = kind, Time = now, Repository = repository, Digest = digest, Principal = ScanActor.Principal,
                    Detail = detail.Length > MaxDetail ? detail[..MaxDetail] : detail,
                }, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary><c>a, b, c</c>, cut after <paramref name="max"/> items with <c>+N more</c>.</summary>
    public static string List(IReadOnlyCollection<string> items, int max = 50) =>
        items.Count <= max ? string.Join(",", items) : string.Join(",", items.Take(max)) + $",+{items.Count - max} more";
}
