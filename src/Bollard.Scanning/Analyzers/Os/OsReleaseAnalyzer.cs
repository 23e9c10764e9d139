using System.Text;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Os;

/// <summary>
/// <c>/etc/os-release</c> and <c>/usr/lib/os-release</c> (freedesktop os-release(5)): <c>KEY=value</c> lines,
/// values unquoted, single- or double-quoted (with <c>\</c> escapes in double quotes), <c>#</c> comments. The image's
/// distribution is the one of <c>/etc/os-release</c> as resolved in the merged view (it is often a symlink to
/// <c>../usr/lib/os-release</c>), else <c>/usr/lib/os-release</c>.
/// </summary>
public sealed class OsReleaseAnalyzer : IFileAnalyzer
{
    /// <summary>os-release files are a few hundred bytes; more is not one.</summary>
    private const int MaxBytes = 64 * 1024;

    public string Name => "os-release";

    public bool Wants(string path, long size, int mode) => path is "/etc/os-release" or "/usr/lib/os-release";

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Size > MaxBytes)
        {
            return new FileAnalysis { Warnings = [$"{file.Size} bytes: too large for an os-release file, not read"] };
        }

        var buffer = new byte[file.Size];
        await file.Content.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        var fields = Parse(Encoding.UTF8.GetString(buffer));
        if (fields.Count == 0)
        {
            return new FileAnalysis { Warnings = ["no KEY=value lines: not an os-release file"] };
        }

        // os-release(5): "If not set, a default of ID=linux may be used."
        string id = fields.GetValueOrDefault("ID") is { Length: > 0 } i ? i.ToLowerInvariant() : "linux";
        return new FileAnalysis
        {
            Os = new OsInfo(id, Blank(fields.GetValueOrDefault("VERSION_ID")), Blank(fields.GetValueOrDefault("VERSION_CODENAME")), Blank(fields.GetValueOrDefault("PRETTY_NAME"))),
        };
    }

    internal static Dictionary<string, string> Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            string key = line[..eq].Trim();
            fields[key] = Unquote(line[(eq + 1)..].Trim());
        }

        return fields;
    }

    private static string Unquote(string v)
    {
        if (v.Length >= 2 && v[0] == '\'' && v[^1] == '\'')
        {
            return v[1..^1];
        }

        if (v.Length >= 2 && v[0] == '"' && v[^1] == '"')
        {
            var sb = new StringBuilder();
            for (int i = 1; i < v.Length - 1; i++)
            {
                if (v[i] == '\\' && i + 1 < v.Length - 1)
                {
                    i++;
                }

                sb.Append(v[i]);
            }

            return sb.ToString();
        }

        return v;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
