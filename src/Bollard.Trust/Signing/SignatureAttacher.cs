using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// Writes a <see cref="SignatureArtifact"/> for an image through an <see cref="IArtifactSink"/>:
/// <list type="bullet">
/// <item><see cref="CosignLayer"/>: appended to the image's <c>sha256-&lt;hex&gt;.sig</c> manifest (existing layers kept
/// byte-exact; an identical signature is not appended twice). The append is a read-modify-write of the tag, made atomic by
/// a conditional PUT (<c>If-Match</c> the manifest read, <c>If-None-Match: *</c> when there was none): a writer that lost
/// the race reads again and re-applies, at most <see cref="SignatureAttacherOptions.MaxAttempts"/> times, so concurrent
/// signers lose nothing.</item>
/// <item><see cref="ReferrerArtifact"/>: a referrer manifest (empty config, the envelope as its layer, <c>subject</c> the
/// image) pushed by digest; on a registry without the referrers API also added to the fallback index, the same way.</item>
/// </list>
/// Bounded: a <c>.sig</c> manifest (or fallback index) never grows past <see cref="SignatureAttacherOptions.MaxSignatureLayers"/>
/// entries or <see cref="SignatureAttacherOptions.MaxManifestBytes"/>. Thread-safe.
/// </summary>
public sealed class SignatureAttacher(IArtifactSink sink, SignatureAttacherOptions options)
{
    /// <exception cref="SignatureAttachException">A cap is reached, a tag holds something else, or the tag kept moving.</exception>
    /// <exception cref="OciException">The server sink's refusal (a push check, a quota), as the registry said it.</exception>
    public Task<AttachResult> AttachAsync(SigningInput subject, SignatureArtifact artifact, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return artifact switch
        {
            CosignLayer layer => AttachCosignAsync(subject, layer, ct),
            ReferrerArtifact referrer => AttachReferrerAsync(subject, referrer, ct),
            _ => throw new ArgumentException($"unknown signature artifact {artifact?.GetType().Name}", nameof(artifact)),
        };
    }

    private async Task<AttachResult> AttachCosignAsync(SigningInput subject, CosignLayer layer, CancellationToken ct)
    {
        string tag = CosignSignatureManifest.TagFor(subject.Manifest);
        var payloadDigest = Digest.Sha256Of(layer.Payload);
        await sink.PutBlobAsync(subject.Repository, payloadDigest, layer.Payload, ct).ConfigureAwait(false);
        var (digest, changed, attempts) = await UpdateTagAsync(subject.Repository, tag, async (current, ct) =>
        {
            if (CosignSignatureManifest.Append(current?.Body, layer, options, tag) is not { } next) return null;
            await sink.PutBlobAsync(subject.Repository, Digest.Sha256Of(next.Config), next.Config, ct).ConfigureAwait(false);
            return (next.Manifest, current?.MediaType is MediaTypes.DockerManifest ? MediaTypes.DockerManifest : MediaTypes.OciManifest);
        }, ct).ConfigureAwait(false);
        return new AttachResult(SignatureFormat.Cosign, digest, tag, !changed, attempts);
    }

    private async Task<AttachResult> AttachReferrerAsync(SigningInput subject, ReferrerArtifact referrer, CancellationToken ct)
    {
        var emptyDigest = Digest.Sha256Of(ReferrerManifest.EmptyConfig);
        await sink.PutBlobAsync(subject.Repository, emptyDigest, ReferrerManifest.EmptyConfig, ct).ConfigureAwait(false);
        await sink.PutBlobAsync(subject.Repository, Digest.Sha256Of(referrer.Envelope), referrer.Envelope, ct).ConfigureAwait(false);
        byte[] manifest = ReferrerManifest.Build(referrer, subject);
        var digest = Digest.Sha256Of(manifest);
        bool existed = await sink.GetManifestAsync(subject.Repository, digest.ToString(), ct).ConfigureAwait(false) is not null;
        if (!existed) await sink.PutManifestAsync(subject.Repository, digest.ToString(), MediaTypes.OciManifest, manifest, null, ct).ConfigureAwait(false);
        int attempts = 1;
        string? tag = null;
        if (!sink.SupportsReferrers)
        {
            tag = ReferrerManifest.FallbackTagFor(subject.Manifest);
            string fallback = tag;
            (_, bool changed, attempts) = await UpdateTagAsync(subject.Repository, fallback, (current, _) =>
                Task.FromResult(ReferrerManifest.AppendToIndex(current?.Body, referrer, digest, manifest.Length, options, fallback) is { } index
                    ? ((byte[], string)?)(index, MediaTypes.OciIndex) : null), ct).ConfigureAwait(false);
            existed &= !changed;
        }
        return new AttachResult(referrer.Format, digest, tag, existed, attempts);
    }

    /// <summary>
    /// Read-modify-write of a tag: read it, let <paramref name="modify"/> make the next manifest (null: nothing to change),
    /// PUT it on condition that the tag still points where it was read, and on a lost race start over.
    /// </summary>
    /// <returns>The tag's manifest afterwards, whether it changed, and the attempts taken.</returns>
    private async Task<(Digest Digest, bool Changed, int Attempts)> UpdateTagAsync(
        string repository, string tag, Func<ArtifactManifest?, CancellationToken, Task<(byte[] Body, string MediaType)?>> modify, CancellationToken ct)
    {
        for (int attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            var current = await sink.GetManifestAsync(repository, tag, ct).ConfigureAwait(false);
            var next = await modify(current, ct).ConfigureAwait(false);
            if (next is null)
                return (current!.Digest, false, attempt);
            var condition = current is null ? TagCondition.Absent : TagCondition.Matching(current.Digest);
            Digest written;
            try
            {
                written = await sink.PutManifestAsync(repository, tag, next.Value.MediaType, next.Value.Body, condition, ct).ConfigureAwait(false);
            }
            catch (ArtifactConflictException)
            {
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
                continue;
            }
            if (sink.EnforcesConditions) return (written, true, attempt);
            // The registry ignored the condition: our write may have replaced someone else's (or been replaced). Read it
            // back; when the tag holds our change (modify has nothing more to add), done; otherwise re-apply.
            var after = await sink.GetManifestAsync(repository, tag, ct).ConfigureAwait(false);
            if (after is not null && await modify(after, ct).ConfigureAwait(false) is null) return (after.Digest, true, attempt);
            await BackOffAsync(attempt, ct).ConfigureAwait(false);
        }
        throw new SignatureAttachException($"{repository}:{tag} kept changing under {options.MaxAttempts} attempts (other signers are writing it); try again");
    }

    /// <summary>Jittered, growing pause (1 ms up to 64 ms × attempt) so writers that collided do not collide again in step.</summary>
    private static Task BackOffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 1 + Math.Min(64, 4 * attempt))), ct);
}

/// <param name="Format">The format attached.</param>
/// <param name="Manifest">The manifest that holds the signature now: the <c>.sig</c> manifest, the referrer.</param>
/// <param name="Tag">The tag written (the <c>.sig</c> tag, the fallback index tag), or null.</param>
/// <param name="AlreadyPresent">The identical signature was there already; nothing was written.</param>
/// <param name="Attempts">Read-modify-write rounds taken (more than 1 when concurrent signers raced).</param>
public sealed record AttachResult(SignatureFormat Format, Digest Manifest, string? Tag, bool AlreadyPresent, int Attempts);
