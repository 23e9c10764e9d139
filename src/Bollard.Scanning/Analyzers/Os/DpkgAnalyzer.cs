using System.Text;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Packages;

namespace Bollard.Scanning.Analyzers.Os;

/// <summary>
/// Debian and Ubuntu packages: <c>/var/lib/dpkg/status</c> (packages whose <c>Status:</c> state is
/// <c>installed</c>, e.g. <c>install ok installed</c>; <c>deinstall ok config-files</c> and the like are not on disk)
/// and the distroless <c>/var/lib/dpkg/status.d/NAME</c> files (one stanza each, usually without <c>Status:</c>,
/// which then means installed; the <c>NAME.md5sums</c> and maintainer-script companions are skipped).
/// <c>Source: name (version)</c> gives the source package advisories are keyed by. A broken stanza (no
/// <c>Package</c>/<c>Version</c>, a line that is not a field) is skipped with a warning. The purl gets the image's
/// distribution (namespace and <c>distro</c>) when layers are merged.
/// </summary>
public sealed class DpkgAnalyzer : IFileAnalyzer
{
    private const string StatusPath = "/var/lib/dpkg/status";
    private const string StatusDir = "/var/lib/dpkg/status.d/";

    private static readonly string[] CompanionSuffixes = [".md5sums", ".preinst", ".postinst", ".prerm", ".postrm", ".conffiles", ".list", ".triggers", ".shlibs", ".symbols", ".templates", ".config"];

    public string Name => "dpkg";

    public bool Wants(string path, long size, int mode)
    {
        if (path == StatusPath)
        {
            return true;
        }

        if (!path.StartsWith(StatusDir, StringComparison.Ordinal) || path.Length == StatusDir.Length || path.IndexOf('/', StatusDir.Length) >= 0)
        {
            return false;
        }

        foreach (var suffix in CompanionSuffixes)
        {
            if (path.EndsWith(suffix, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        bool distroless = file.Path != StatusPath;
        var packages = new List<ScanPackage>();
        var warnings = new List<string>();
        using var reader = new StreamReader(file.Content, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
        await foreach (var stanza in ControlFile.ReadAsync(reader, ct).ConfigureAwait(false))
        {
            if (packages.Count >= file.Limits.MaxPackagesPerFile)
            {
                warnings.Add($"more than {file.Limits.MaxPackagesPerFile} packages (limit MaxPackagesPerFile): the rest skipped");
                break;
            }

            string? name = stanza.Fields.GetValueOrDefault("Package");
            if (stanza.Error is not null)
            {
                warnings.Add($"stanza at line {stanza.Line}{(string.IsNullOrEmpty(name) ? "" : $" ({name})")}: {stanza.Error}: skipped");
                continue;
            }

            if (stanza.Fields.TryGetValue("Status", out var status))
            {
                var words = status.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length != 3 || words[2] != "installed")
                {
                    continue; // removed, config-files only, half-installed ...: not (fully) on disk
                }
            }
            else if (!distroless)
            {
                warnings.Add($"stanza at line {stanza.Line}{(string.IsNullOrEmpty(name) ? "" : $" ({name})")}: no Status field: skipped");
                continue;
            }

            string? version = stanza.Fields.GetValueOrDefault("Version");
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
            {
                warnings.Add($"stanza at line {stanza.Line}{(string.IsNullOrEmpty(name) ? "" : $" ({name})")}: no {(string.IsNullOrEmpty(name) ? "Package" : "Version")} field: skipped");
                continue;
            }

            string? arch = stanza.Fields.GetValueOrDefault("Architecture") is { Length: > 0 } a ? a : null;
            var (sourceName, sourceVersion) = ParseSource(stanza.Fields.GetValueOrDefault("Source"));
            packages.Add(new ScanPackage
            {
                Type = PackageTypes.Deb,
                Name = name,
                Version = version,
                SourceName = sourceName ?? name,
                SourceVersion = sourceVersion,
                Purl = Purls.Build(PackageTypes.Deb, "debian", name, version, ("arch", arch)),
                Path = file.Path,
            });
        }

        return new FileAnalysis { Packages = packages, Warnings = warnings };
    }

    /// <summary><c>Source: glibc (2.36-9)</c> is (glibc, 2.36-9); <c>Source: sqlite3</c> is (sqlite3, null).</summary>
    internal static (string? Name, string? Version) ParseSource(string? source)
    {
        if (string.IsNullOrWhiteSpace(source))
        {
            return (null, null);
        }

        source = source.Trim();
        int paren = source.IndexOf('(', StringComparison.Ordinal);
        if (paren < 0)
        {
            return (source, null);
        }

        string name = source[..paren].Trim();
        int close = source.IndexOf(')', paren);
        string version = (close > paren ? source[(paren + 1)..close] : source[(paren + 1)..]).Trim();
        return (name.Length == 0 ? null : name, version.Length == 0 ? null : version);
    }
}
