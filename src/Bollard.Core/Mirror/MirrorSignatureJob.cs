using System.Text.Json;
using Bollard.Core.Jobs;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// The <c>mirror.signatures</c> job: brings a newly mirrored image's signatures and referrers in the background
/// (<see cref="MirrorSignatureSync"/>), so Bollard's referrers endpoint finds them although no client asked. Trust
/// decisions do not wait for it: they bring what they need first (<see cref="MirrorSignatureOrigin"/>).
/// </summary>
public sealed class MirrorSignatureJob(MirrorSignatureSync sync, MirrorRouter router) : IJobHandler
{
    public const string JobKind = "mirror.signatures";

    public string Kind => JobKind;

    /// <summary>The payload: <c>{"repository":"mirror/docker.io/library/alpine","subject":"sha256:..."}</c>.</summary>
    public static string Payload(RepositoryName repository, Digest subject) =>
        $$"""{"repository":"{{JsonEncodedText.Encode(repository.Value)}}","subject":"{{subject}}"}""";

    public static (RepositoryName Repository, Digest Subject) ParsePayload(string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var root = doc.RootElement;
        return (RepositoryName.Parse(root.GetProperty("repository").GetString()!), Digest.Parse(root.GetProperty("subject").GetString()));
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (repository, subject) = ParsePayload(context.Job.Payload);
        if (router.Resolve(repository) is not { } route || !route.Upstream.MirrorSignatures) return;
        var (artifacts, bytes) = await sync.BringAsync(route, subject, ct).ConfigureAwait(false);
        await context.ReportProgressAsync(1, $"{artifacts} signatures and referrers, {bytes} bytes of blobs", ct).ConfigureAwait(false);
    }
}
