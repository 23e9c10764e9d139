using System.Text;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Packages;

namespace Bollard.Scanning.Analyzers.Os;

/// <summary>
/// Alpine and Wolfi packages from <c>/lib/apk/db/installed</c> (apk's installed database: one stanza per package,
/// <c>X:value</c> lines, blank lines between stanzas): <c>P</c> name, <c>V</c> version, <c>A</c> architecture,
/// <c>o</c> origin (the source package advisories are keyed by; the name when absent), <c>L</c> licence. A stanza
/// without name or version, or with a line that is not <c>X:value</c>, is skipped with a warning. The purl gets the
/// image's distribution (namespace <c>alpine</c>/<c>wolfi</c> and <c>distro</c>) when layers are merged.
/// </summary>
public sealed class ApkAnalyzer : IFileAnalyzer
{
    private const string InstalledPath = "/lib/apk/db/installed";

    public string Name => "apk";

    public bool Wants(string path, long size, int mode) => path == InstalledPath;

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        var packages = new List<ScanPackage>();
        var warnings = new List<string>();
        using var reader = new StreamReader(file.Content, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
        var fields = new Dictionary<char, string>();
        string? error = null;
        int start = 1;
        int lineNo = 0;
        bool full = false;

        void Flush()
        {
            if (fields.Count == 0 && error is null)
            {
                return;
            }

            string? name = fields.GetValueOrDefault('P');
            string? version = fields.GetValueOrDefault('V');
            string where = $"stanza at line {start}{(string.IsNullOrEmpty(name) ? "" : $" ({name})")}";
            if (error is not null)
            {
                warnings.Add($"{where}: {error}: skipped");
            }
            else if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
            {
                warnings.Add($"{where}: no {(string.IsNullOrEmpty(name) ? "P (name)" : "V (version)")} field: skipped");
            }
            else if (packages.Count >= file.Limits.MaxPackagesPerFile)
            {
                if (!full)
                {
                    warnings.Add($"more than {file.Limits.MaxPackagesPerFile} packages (limit MaxPackagesPerFile): the rest skipped");
                    full = true;
                }
            }
            else
            {
                string? arch = fields.GetValueOrDefault('A') is { Length: > 0 } a ? a : null;
                packages.Add(new ScanPackage
                {
                    Type = PackageTypes.Apk,
                    Name = name,
                    Version = version,
                    SourceName = fields.GetValueOrDefault('o') is { Length: > 0 } o ? o : name,
                    Licenses = fields.GetValueOrDefault('L') is { Length: > 0 } l ? [l] : [],
                    Purl = Purls.Build(PackageTypes.Apk, "alpine", name, version, ("arch", arch)),
                    Path = file.Path,
                });
            }

            fields.Clear();
            error = null;
        }

        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            lineNo++;
            if (line.Length == 0)
            {
                Flush();
                start = lineNo + 1;
                continue;
            }

            if (line.Length < 2 || line[1] != ':')
            {
                error ??= $"line {lineNo}: not an 'X:value' line";
                continue;
            }

            // Repeated keys (F:, R:, Z: per file) only matter for the package fields, which appear once.
            fields.TryAdd(line[0], line[2..].Trim());
        }

        Flush();
        return new FileAnalysis { Packages = packages, Warnings = warnings };
    }
}
