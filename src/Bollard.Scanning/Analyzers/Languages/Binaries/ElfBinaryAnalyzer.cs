using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Languages.Go;
using Bollard.Scanning.Analyzers.Languages.Rust;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Binaries;

/// <summary>
/// Executables: the Go build information (<see cref="GoBuildInfo"/>: the Go standard library as
/// <c>pkg:golang/stdlib@v1.19.8</c>, as Trivy reports it so Go's stdlib advisories match, the main module when it has
/// a version, and every dependency module, replaced ones under their replacement) and the cargo-auditable dependency
/// list of Rust binaries (<see cref="CargoAuditableInfo"/>: runtime crates that are not local workspace crates).
/// One analyzer reads both, so a binary is copied to a seekable form once. Only executable regular files are wanted;
/// the first four bytes decide (no ELF magic: nothing more is read). A corrupt ELF or build information is a warning.
/// </summary>
public sealed class ElfBinaryAnalyzer : IFileAnalyzer
{
    public string Name => "elf-binary";

    public bool Wants(string path, long size, int mode) =>
        (mode & 0x49) != 0 && size >= 64 && size <= ScanLimits.Default.MaxAnalyzedFileBytes; // 0x49 = 0o111: any x bit

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        if (file.Size > file.Limits.MaxAnalyzedFileBytes)
        {
            collector.Warn($"{file.Size} bytes is over the {file.Limits.MaxAnalyzedFileBytes}-byte limit; not read");
            return collector.ToAnalysis();
        }

        AnalyzedFile whole = file;
        if (!file.Content.CanSeek)
        {
            byte[] magic = await PrefixedStream.PeekAsync(file.Content, 4, ct).ConfigureAwait(false);
            if (magic.Length < 4 || !ElfImage.HasMagic(magic))
            {
                return FileAnalysis.Empty;
            }

            whole = new AnalyzedFile(file.Path, file.Size, file.Mode, new PrefixedStream(magic, file.Content), file.Limits, file.Depth);
        }

        try
        {
            Stream stream = await whole.OpenSeekableAsync(ct).ConfigureAwait(false);
            var first = new byte[4];
            if (stream.Length < 4 || await stream.ReadAtLeastAsync(first, 4, false, ct).ConfigureAwait(false) < 4 || !ElfImage.HasMagic(first))
            {
                return FileAnalysis.Empty;
            }

            ElfImage elf;
            try
            {
                elf = await ElfImage.ReadAsync(stream, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                collector.Warn("corrupt ELF file: " + e.Message);
                return collector.ToAnalysis();
            }

            await ReadGoAsync(elf, collector, ct).ConfigureAwait(false);
            await ReadRustAsync(elf, collector, ct).ConfigureAwait(false);
            return collector.ToAnalysis();
        }
        finally
        {
            if (!ReferenceEquals(whole, file))
            {
                await whole.ReleaseAsync().ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask ReadGoAsync(ElfImage elf, PackageCollector collector, CancellationToken ct)
    {
        GoBuildInfo? info;
        try
        {
            info = await GoBuildInfo.ReadAsync(elf, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            collector.Warn("corrupt Go build info: " + e.Message);
            return;
        }

        if (info is null)
        {
            return;
        }

        // "go1.19.8", "go1.22.0 X:boringcrypto"; a development toolchain ("devel go1.23-abc") has no release version.
        string go = info.GoVersion.Split(' ')[0];
        if (go.StartsWith("go", StringComparison.Ordinal) && go.Length > 2)
        {
            string stdlib = "v" + go[2..];
            collector.Add(PackageTypes.Golang, "stdlib", stdlib, PackageUrls.Golang("stdlib", stdlib));
        }

        if (info.Main is { } main && main.Version.Length > 0 && main.Version != "(devel)")
        {
            AddModule(collector, main);
        }

        foreach (GoModule dep in info.Deps)
        {
            if (!AddModule(collector, dep))
            {
                return;
            }
        }
    }

    /// <summary>A module replaced by another module version is reported as that; one replaced by a local directory (version empty or <c>(devel)</c>) is not a module download and is left out.</summary>
    private static bool AddModule(PackageCollector collector, GoModule module)
    {
        GoModule effective = module.Replacement ?? module;
        if (effective.Path.Length == 0 || effective.Version.Length == 0 || effective.Version == "(devel)")
        {
            return true;
        }

        return collector.Add(PackageTypes.Golang, effective.Path, effective.Version, PackageUrls.Golang(effective.Path, effective.Version));
    }

    private static async ValueTask ReadRustAsync(ElfImage elf, PackageCollector collector, CancellationToken ct)
    {
        IReadOnlyList<CargoPackage>? packages;
        try
        {
            packages = await CargoAuditableInfo.ReadAsync(elf, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            collector.Warn("corrupt cargo-auditable data: " + e.Message);
            return;
        }

        foreach (CargoPackage p in packages ?? [])
        {
            if (p.Kind == "build" || p.Source == "local")
            {
                continue; // build scripts' dependencies are not in the binary; local crates are the project itself
            }

            if (!collector.Add(PackageTypes.Cargo, p.Name, p.Version, PackageUrls.Cargo(p.Name, p.Version)))
            {
                return;
            }
        }
    }
}
