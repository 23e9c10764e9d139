using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;
using Bollard.Core.Storage;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// The SBOM referrers Bollard attached to an image (<see cref="SbomAttacher"/>: annotated with
/// <see cref="ScanService.GeneratorAnnotation"/>) go with the image when it is deleted. A producer's own SBOMs and every
/// other referrer are left to garbage collection.
/// </summary>
public sealed class GeneratedSbomCascade(IManifestStore manifests) : IDeleteCascade
{
    public async ValueTask<IReadOnlyList<Digest>> DependentsAsync(RepositoryName repository, Digest deleted, CancellationToken ct)
    {
        var referrers = await manifests.ListReferrersAsync(repository, deleted, null, ct).ConfigureAwait(false);
        return referrers.Where(r => IsGenerated(r.AnnotationsJson)).Select(r => r.Digest).ToList();
    }

    private static bool IsGenerated(string? annotationsJson)
    {
        if (annotationsJson is null || !annotationsJson.Contains(ScanService.GeneratorAnnotation, StringComparison.Ordinal)) return false;
        try
        {
            using var document = JsonDocument.Parse(annotationsJson);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(ScanService.GeneratorAnnotation, out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
