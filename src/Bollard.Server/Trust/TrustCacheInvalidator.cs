using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Server.Trust;

/// <summary>
/// Drops cached policy decisions when what they were made from changes, from the registry events (at least once, in
/// order; invalidating is idempotent): a signature pushed or deleted (a manifest with a subject, a cosign
/// <c>sha256-&lt;hex&gt;.sig</c>/<c>.att</c> tag created, moved or deleted, <c>ImageSigned</c>) drops the signed image's
/// decision; a deleted manifest (whose subject can no longer be read) drops the repository's; <c>ImageScanned</c> and
/// <c>FindingsChanged</c> drop the image's in every repository; <c>PolicyChanged</c> drops everything (also changes made
/// on another node). Exception changes arrive in-process from the scan service (<see cref="TrustCaches"/>).
/// </summary>
public sealed class TrustCacheInvalidator(TrustCaches caches, IManifestStore manifests) : IRegistryEventSubscriber
{
    public string Name => "trust-cache";

    public async Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case RegistryEventKind.PolicyChanged:
                    caches.PoliciesChanged();
                    break;
                case RegistryEventKind.ImageScanned or RegistryEventKind.FindingsChanged when e.Digest is { } scanned:
                    caches.ImageChanged(null, scanned);
                    break;
                case RegistryEventKind.ImageSigned when e.Repository is { } r && e.Digest is { } signed:
                    caches.ImageChanged(r, signed);
                    break;
                case RegistryEventKind.TagCreated or RegistryEventKind.TagMoved or RegistryEventKind.TagDeleted
                    when e.Repository is { } r && CosignTagSubject(e.Tag) is { } subject:
                    caches.ImageChanged(r, subject);
                    break;
                case RegistryEventKind.ManifestPushed when e.Repository is { } r && e.Digest is { } pushed:
                    if (CosignTagSubject(e.Tag) is { } tagged) caches.ImageChanged(r, tagged);
                    else if (await manifests.GetAsync(r, pushed, ct).ConfigureAwait(false) is { Subject: { } subject }) caches.ImageChanged(r, subject);
                    break;
                case RegistryEventKind.ManifestDeleted or RegistryEventKind.RepositoryDeleted when e.Repository is { } r:
                    caches.RepositoryChanged(r);
                    break;
            }
        }
    }

    /// <summary>The image a cosign tag (<c>sha256-&lt;hex&gt;.sig</c>, <c>.att</c>, or the bundle fallback <c>sha256-&lt;hex&gt;</c>) belongs to.</summary>
    internal static Digest? CosignTagSubject(string? tag)
    {
        if (tag is null || !tag.StartsWith("sha256-", StringComparison.Ordinal)) return null;
        string rest = tag["sha256-".Length..];
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        string hex = dot < 0 ? rest : rest[..dot];
        string suffix = dot < 0 ? "" : rest[dot..];
        if (suffix is not ("" or ".sig" or ".att")) return null;
        return Digest.TryParse("sha256:" + hex, out var d) ? d : null;
    }
}
