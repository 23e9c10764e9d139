using System.Globalization;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Scanning;
using Bollard.Core.Storage;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// Attaches Bollard's SBOMs to an image as OCI 1.1 referrers (image-spec manifest.md "artifactType", distribution-spec
/// "Listing Referrers"): one manifest per format with <c>artifactType</c> <c>application/vnd.cyclonedx+json</c> or
/// <c>application/spdx+json</c>, the empty config, the SBOM as its single layer and <c>subject</c> the image, written
/// through <see cref="BlobService"/> and <see cref="ManifestService"/> as <see cref="ScanActor"/> (so events, usage,
/// quotas and push checks apply). A refusal (a quota, an immutability rule) is a warning, never a failed scan. An SBOM
/// of the same engine version already attached by Bollard is not attached again; a producer's SBOM is left alone.
/// </summary>
public sealed class SbomAttacher(BlobService blobService, ManifestService manifestService, IManifestStore manifests, TimeProvider time)
{
    /// <summary>The OCI empty descriptor's content (<c>{}</c>).</summary>
    private static readonly byte[] EmptyConfig = "{}"u8.ToArray();

    /// <returns>Warnings (a refused write); empty when attached or already there.</returns>
    public async Task<IReadOnlyList<string>> AttachAsync(RepositoryName repository, Digest image, ManifestRecord imageManifest, ImageInventory inventory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(imageManifest);
        ArgumentNullException.ThrowIfNull(inventory);
        var warnings = new List<string>();
        string version = ScanEngine.Version.ToString(CultureInfo.InvariantCulture);
        ISbomWriter[] writers = [new CycloneDxWriter(time), new SpdxWriter(time)];
        foreach (var writer in writers)
        {
            var existing = await manifests.ListReferrersAsync(repository, image, writer.MediaType, ct).ConfigureAwait(false);
            if (existing.Any(r => r.AnnotationsJson is { } a && a.Contains($"\"{ScanService.GeneratorAnnotation}\":\"{version}\"", StringComparison.Ordinal))) continue;
            try
            {
                byte[] sbom = writer.Write(inventory, new SbomSubject(repository.Value, null, image.ToString()));
                var sbomDigest = Digest.Sha256Of(sbom);
                var emptyDigest = Digest.Sha256Of(EmptyConfig);
                await blobService.UploadMonolithicAsync(repository, emptyDigest, new MemoryStream(EmptyConfig), EmptyConfig.Length, ScanActor.Actor, ct).ConfigureAwait(false);
                await blobService.UploadMonolithicAsync(repository, sbomDigest, new MemoryStream(sbom), sbom.Length, ScanActor.Actor, ct).ConfigureAwait(false);
                byte[] manifest = Manifest(writer.MediaType, sbomDigest, sbom.Length, emptyDigest, imageManifest, version);
                await manifestService.PutAsync(repository, new Reference(null, Digest.Sha256Of(manifest)), manifest, MediaTypes.OciManifest, ScanActor.Actor, ct).ConfigureAwait(false);
            }
            catch (OciException e)
            {
                warnings.Add($"{writer.Format} SBOM not attached in {repository}: {e.Error.Code} {e.Detail ?? e.Error.Message}");
            }
        }
        return warnings;
    }

    private byte[] Manifest(string artifactType, Digest sbom, long sbomSize, Digest empty, ManifestRecord subject, string version)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.OciManifest);
            json.WriteString("artifactType", artifactType);
            json.WriteStartObject("config");
            json.WriteString("mediaType", MediaTypes.OciEmpty);
            json.WriteString("digest", empty.ToString());
            json.WriteNumber("size", EmptyConfig.Length);
            json.WriteString("data", Convert.ToBase64String(EmptyConfig));
            json.WriteEndObject();
            json.WriteStartArray("layers");
            json.WriteStartObject();
            json.WriteString("mediaType", artifactType);
            json.WriteString("digest", sbom.ToString());
            json.WriteNumber("size", sbomSize);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("subject");
            json.WriteString("mediaType", subject.MediaType);
            json.WriteString("digest", subject.Digest.ToString());
            json.WriteNumber("size", subject.Size);
            json.WriteEndObject();
            json.WriteStartObject("annotations");
            json.WriteString("org.opencontainers.image.created", time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteString(ScanService.GeneratorAnnotation, version);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
