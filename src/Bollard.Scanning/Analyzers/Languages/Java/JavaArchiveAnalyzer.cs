using System.IO.Compression;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Java;

/// <summary>
/// Java archives (<c>.jar</c>, <c>.war</c>, <c>.ear</c>; zip files): every <c>META-INF/maven/GROUP/ARTIFACT/pom.properties</c>
/// is a package (a shaded jar carries several); without one, <c>META-INF/MANIFEST.MF</c> (Implementation-Title/Version
/// with Implementation-Vendor-Id as the group, else Bundle-SymbolicName/Bundle-Version); without that, the file name
/// (<c>log4j-core-2.14.1.jar</c>, no group). Archives inside (<c>WEB-INF/lib/*.jar</c>, Spring Boot's
/// <c>BOOT-INF/lib/</c>, an ear's modules) are read the same way, down to <see cref="ScanLimits.MaxNestingDepth"/>, and
/// their packages have the nested path (<c>/app.war!/WEB-INF/lib/x.jar</c>).
/// Bounds: the entry count (from the central directory, before anything is allocated per entry) at most
/// <see cref="ScanLimits.MaxFilesPerLayer"/>; a nested archive at most <see cref="ScanLimits.MaxAnalyzedFileBytes"/>
/// and at most <see cref="ScanLimits.MaxDecompressionRatio"/> times its compressed size (zip-bomb defence), inflated
/// only up to its declared size, in memory up to <see cref="ScanLimits.MaxInMemoryFileBytes"/> and else in a temporary
/// file; all nested archives of one file together inflate at most <see cref="ScanLimits.MaxAnalyzedFileBytes"/>.
/// </summary>
public sealed class JavaArchiveAnalyzer : IFileAnalyzer
{
    private const int MaxMetadataBytes = 64 * 1024;
    private const long RatioGraceBytes = 1 << 20;

    public string Name => "java-archive";

    public bool Wants(string path, long size, int mode) => size >= 22 && IsArchiveName(path);

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        var budget = new InflateBudget(file.Limits.MaxAnalyzedFileBytes);
        await AnalyzeArchiveAsync(file, collector, budget, ct).ConfigureAwait(false);
        return collector.ToAnalysis();
    }

    internal static bool IsArchiveName(string path) =>
        path.EndsWith(".jar", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".war", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".ear", StringComparison.OrdinalIgnoreCase);

    private static async Task AnalyzeArchiveAsync(AnalyzedFile file, PackageCollector collector, InflateBudget budget, CancellationToken ct)
    {
        ScanLimits limits = file.Limits;
        Stream stream = await file.OpenSeekableAsync(ct).ConfigureAwait(false);
        string? problem = ZipDirectory.Check(stream, limits.MaxFilesPerLayer);
        if (problem is not null)
        {
            Warn(collector, file, problem);
            return;
        }

        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            Warn(collector, file, "not a readable zip archive: " + e.Message);
            return;
        }

        using (zip)
        {
            var poms = new List<PomProperties>();
            JarManifest? manifest = null;
            var nested = new List<ZipArchiveEntry>();
            try
            {
                foreach (ZipArchiveEntry entry in zip.Entries)
                {
                    string name = entry.FullName;
                    if (IsPomProperties(name))
                    {
                        if (await ReadSmallAsync(entry, collector, file, ct).ConfigureAwait(false) is { } text && PomProperties.Parse(text) is { } pom)
                        {
                            poms.Add(pom);
                        }
                    }
                    else if (name.Equals("META-INF/MANIFEST.MF", StringComparison.OrdinalIgnoreCase))
                    {
                        if (await ReadSmallAsync(entry, collector, file, ct).ConfigureAwait(false) is { } text)
                        {
                            manifest = JarManifest.Parse(text);
                        }
                    }
                    else if (IsArchiveName(name) && !name.EndsWith('/'))
                    {
                        nested.Add(entry);
                    }
                }
            }
            catch (InvalidDataException e)
            {
                Warn(collector, file, "corrupt zip entry: " + e.Message);
            }

            ReportOwnPackages(file.Path, poms, manifest, collector);

            if (nested.Count > 0 && file.Depth + 1 > limits.MaxNestingDepth)
            {
                Warn(collector, file, $"{nested.Count} archives nested deeper than {limits.MaxNestingDepth} levels are not read");
                return;
            }

            foreach (ZipArchiveEntry entry in nested)
            {
                if (collector.Full)
                {
                    return;
                }

                await AnalyzeNestedAsync(file, entry, collector, budget, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task AnalyzeNestedAsync(AnalyzedFile outer, ZipArchiveEntry entry, PackageCollector collector, InflateBudget budget, CancellationToken ct)
    {
        ScanLimits limits = outer.Limits;
        string path = outer.Path + "!/" + entry.FullName;
        if (entry.Length > limits.MaxAnalyzedFileBytes)
        {
            collector.Warn($"{path}: {entry.Length} bytes is over the {limits.MaxAnalyzedFileBytes}-byte limit; not read");
            return;
        }

        if (entry.Length > RatioGraceBytes && entry.Length > entry.CompressedLength * limits.MaxDecompressionRatio)
        {
            collector.Warn($"{path}: inflates {entry.CompressedLength} bytes to {entry.Length} (more than {limits.MaxDecompressionRatio}x): a decompression bomb; not read");
            return;
        }

        if (!budget.TryTake(entry.Length))
        {
            collector.Warn($"{path}: the nested archives of {collector.Path} inflate past {limits.MaxAnalyzedFileBytes} bytes; the rest are not read");
            return;
        }

        try
        {
            await using Stream content = new BoundedStream(entry.Open(), entry.Length);
            var inner = new AnalyzedFile(path, entry.Length, 0x1A4, content, limits, outer.Depth + 1);
            try
            {
                await AnalyzeArchiveAsync(inner, collector, budget, ct).ConfigureAwait(false);
            }
            finally
            {
                await inner.ReleaseAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidDataException e)
        {
            collector.Warn($"{path}: corrupt zip entry: {e.Message}");
        }
    }

    private static void ReportOwnPackages(string path, List<PomProperties> poms, JarManifest? manifest, PackageCollector collector)
    {
        foreach (PomProperties pom in poms)
        {
            Add(collector, pom.GroupId, pom.ArtifactId, pom.Version, path);
        }

        if (poms.Count > 0)
        {
            return;
        }

        if (manifest?.Identify() is { } fromManifest)
        {
            Add(collector, fromManifest.GroupId, fromManifest.ArtifactId, fromManifest.Version, path);
        }
        else if (FileNames.Parse(path) is { } fromName)
        {
            Add(collector, null, fromName.ArtifactId, fromName.Version, path);
        }
    }

    private static void Add(PackageCollector collector, string? groupId, string artifactId, string version, string path)
    {
        string name = string.IsNullOrEmpty(groupId) ? artifactId : groupId + ":" + artifactId;
        collector.Add(PackageTypes.Maven, name, version, PackageUrls.Maven(groupId, artifactId, version), path: path);
    }

    /// <summary><c>META-INF/maven/GROUP/ARTIFACT/pom.properties</c>, exactly.</summary>
    private static bool IsPomProperties(string name) =>
        name.StartsWith("META-INF/maven/", StringComparison.Ordinal) && name.EndsWith("/pom.properties", StringComparison.Ordinal) &&
        name.AsSpan("META-INF/maven/".Length).Count('/') == 2;

    /// <summary>A warning about a nested archive names it (the collector already names the top-level file).</summary>
    private static void Warn(PackageCollector collector, AnalyzedFile archive, string message) =>
        collector.Warn(archive.Depth == 0 ? message : $"{archive.Path}: {message}");

    private static async ValueTask<string?> ReadSmallAsync(ZipArchiveEntry entry, PackageCollector collector, AnalyzedFile archive, CancellationToken ct)
    {
        if (entry.Length > MaxMetadataBytes)
        {
            Warn(collector, archive, $"{entry.FullName} is {entry.Length} bytes; not read");
            return null;
        }

        await using Stream s = entry.Open();
        (string text, _) = await BoundedText.ReadAsync(s, MaxMetadataBytes, ct).ConfigureAwait(false);
        return text;
    }

    /// <summary>Bytes all nested archives of one top-level file may inflate to.</summary>
    private sealed class InflateBudget(long total)
    {
        private long left = total;

        public bool TryTake(long bytes)
        {
            if (bytes > left)
            {
                return false;
            }

            left -= bytes;
            return true;
        }
    }
}
