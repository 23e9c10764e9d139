using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// Turns the push of a signature into <see cref="RegistryEventKind.ImageSigned"/> for the image it signs (webhooks
/// <c>image.signed</c>, the audit, decision-cache invalidation): a <c>ManifestPushed</c> of cosign's
/// <c>&lt;alg&gt;-&lt;hex&gt;.sig</c> tag, or of a referrer whose artifact type is a Sigstore bundle or a Notation signature.
/// Whether it came over <c>/v2/</c> or from a server-held key makes no difference. Appended in its own transaction, one
/// per batch; at least once, like every subscriber (a retried batch may append again). The detail is
/// <c>&lt;format&gt; &lt;signature manifest&gt;</c>; the event carries the pusher as its principal.
/// </summary>
public sealed class ImageSignedEvents(IMetadataStore metadata, IManifestStore manifests, TimeProvider time) : IRegistryEventSubscriber
{
    public string Name => "image-signed";

    public async Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(events);
        var signed = new List<RegistryEvent>();
        foreach (var e in events)
        {
            if (e.Kind != RegistryEventKind.ManifestPushed || e.Digest is not { } digest || e.Repository is not { } repository) continue;
            if (await SignedByAsync(repository, digest, e.Tag, e.MediaType, ct).ConfigureAwait(false) is not { } found) continue;
            signed.Add(new RegistryEvent
            {
                Kind = RegistryEventKind.ImageSigned, Time = time.GetUtcNow(), Repository = repository, Digest = found.Subject,
                Principal = e.Principal, ClientAddress = e.ClientAddress, Detail = $"{found.Format} {digest}",
            });
        }
        if (signed.Count == 0) return;
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            foreach (var e in signed) await tx.AppendEventAsync(e, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <returns>The signed image and the format's name, or null when the manifest is no signature.</returns>
    private async Task<(Digest Subject, string Format)?> SignedByAsync(RepositoryName repository, Digest pushed, string? tag, string? mediaType, CancellationToken ct)
    {
        if (tag is not null && CosignSubject(tag) is { } subject) return (subject, ServerSigningKeys.FormatName(SignatureFormat.Cosign));
        // Only an image manifest can be a referrer signature (an index with a subject is not one of these formats).
        if (mediaType is not MediaTypes.OciManifest) return null;
        var record = await manifests.GetAsync(repository, pushed, ct).ConfigureAwait(false);
        if (record?.Subject is not { } referred) return null;
        if (SignatureMediaTypes.IsSigstoreBundle(record.ArtifactType)) return (referred, ServerSigningKeys.FormatName(SignatureFormat.SigstoreBundle));
        if (record.ArtifactType == SignatureMediaTypes.NotationSignature) return (referred, ServerSigningKeys.FormatName(SignatureFormat.NotationJws));
        return null;
    }

    /// <summary>The image a cosign <c>&lt;alg&gt;-&lt;hex&gt;.sig</c> tag names, or null for any other tag.</summary>
    internal static Digest? CosignSubject(string tag)
    {
        if (!tag.EndsWith(".sig", StringComparison.Ordinal)) return null;
        int dash = tag.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0) return null;
        return Digest.TryParse(tag[..dash] + ":" + tag[(dash + 1)..^4], out var d) ? d : null;
    }
}
