using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>The changes <see cref="BlobService"/> and <see cref="ManifestService"/> share, each with its outbox events.</summary>
internal static class RegistryWrites
{
    public static RegistryEvent Event(RegistryEventKind kind, RepositoryName repository, RegistryActor actor, DateTimeOffset now) =>
        new() { Kind = kind, Repository = repository, Time = now, Principal = actor.Principal, ClientAddress = actor.ClientAddress };

    /// <summary>Creates the repository if needed, with its <see cref="RegistryEventKind.RepositoryCreated"/> event.</summary>
    public static async ValueTask EnsureRepositoryAsync(IMetadataTransaction tx, RepositoryName repository, RegistryActor actor, DateTimeOffset now, CancellationToken ct)
    {
        if (await tx.EnsureRepositoryAsync(repository, ct).ConfigureAwait(false))
            await tx.AppendEventAsync(Event(RegistryEventKind.RepositoryCreated, repository, actor, now), ct).ConfigureAwait(false);
    }

    /// <summary>Links a blob (durable on return) with its <see cref="RegistryEventKind.BlobLinked"/> event; idempotent, and silent when it was already linked.</summary>
    /// <param name="how"><c>upload</c> or <c>mount</c>.</param>
    public static async Task LinkBlobAsync(IMetadataStore metadata, RepositoryName repository, BlobInfo blob, string how, RegistryActor actor, DateTimeOffset now, CancellationToken ct)
    {
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            await EnsureRepositoryAsync(tx, repository, actor, now, ct).ConfigureAwait(false);
            if (await tx.LinkBlobAsync(repository, blob.Digest, blob.Size, ct).ConfigureAwait(false))
                await tx.AppendEventAsync(Event(RegistryEventKind.BlobLinked, repository, actor, now) with { Digest = blob.Digest, Size = blob.Size, Detail = how }, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }
}
