using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Npm;

/// <summary>
/// pnpm's <c>pnpm-lock.yaml</c>: every key of its top-level <c>packages:</c> map is one installed package, written
/// <c>/lodash/4.17.21</c> (lockfile v5), <c>/lodash@4.17.21</c> (v6) or <c>lodash@4.17.21</c> (v9), scoped names
/// quoted, with a peer suffix (<c>(react@18.2.0)</c>, v5's <c>_react@18.2.0</c>) that is not part of the version.
/// Keys whose version is not a registry version (<c>file:</c>, <c>link:</c>, tarball URLs, git) are skipped. The
/// <c>importers:</c> and <c>snapshots:</c> sections repeat the same packages and are not read. Lock files inside
/// <c>node_modules</c> (pnpm's own <c>node_modules/.pnpm/lock.yaml</c>) are not read.
/// </summary>
public sealed class PnpmLockAnalyzer : IFileAnalyzer
{
    public string Name => "pnpm-lock";

    public bool Wants(string path, long size, int mode) =>
        PathMatch.EndsWith(path, "/pnpm-lock.yaml") && !PathMatch.Contains(path, "/node_modules/");

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        bool inPackages = false, sawVersion = false;
        int keyIndent = -1;
        await foreach (string line in LockLines.ReadAsync(file.Content, () => collector.Warn($"a line longer than {LockLines.MaxLineChars} characters was cut"), ct).ConfigureAwait(false))
        {
            if (line.Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            int indent = LockLines.Indent(line);
            if (indent == 0)
            {
                inPackages = line.StartsWith("packages:", StringComparison.Ordinal);
                sawVersion |= line.StartsWith("lockfileVersion:", StringComparison.Ordinal);
                keyIndent = -1;
                continue;
            }

            if (!inPackages || !line.EndsWith(':'))
            {
                continue;
            }

            // The first key's indent is the packages' (2 in every pnpm version); deeper keys are their fields.
            if (keyIndent < 0)
            {
                keyIndent = indent;
            }

            if (indent != keyIndent)
            {
                continue;
            }

            if (Parse(LockLines.Unquote(line[indent..^1])) is var (name, version) && !NpmLockAnalyzer.Add(collector, name, version, []))
            {
                return collector.ToAnalysis();
            }
        }

        if (!sawVersion)
        {
            collector.Warn("no lockfileVersion: not a pnpm lock file");
        }

        return collector.ToAnalysis();
    }

    /// <returns>(name, version), or null for a key that is not a registry package.</returns>
    internal static (string Name, string Version)? Parse(string key)
    {
        if (key.Contains("://", StringComparison.Ordinal) || key.Contains("file:", StringComparison.Ordinal) || key.Contains("link:", StringComparison.Ordinal))
        {
            return null;
        }

        string k = key.StartsWith('/') ? key[1..] : key;
        int paren = k.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
        {
            k = k[..paren];
        }

        if (key.StartsWith('/') && V5(k) is { } v5)
        {
            return v5;
        }

        string name, version;
        int at = k.IndexOf('@', 1);
        if (at > 0)
        {
            name = k[..at]; // v6 and v9: name@version
            version = k[(at + 1)..];
        }
        else
        {
            return null;
        }

        return name.Length > 0 && version.Length > 0 && char.IsAsciiDigit(version[0]) ? (name, version) : null;
    }

    /// <summary>v5's <c>name/version</c> or <c>@scope/name/version</c>, the version cut at its <c>_peer@1.0.0</c> suffix; null when not that shape.</summary>
    private static (string Name, string Version)? V5(string k)
    {
        string[] parts = k.Split('/');
        int versionAt = parts[0].StartsWith('@') ? 2 : 1;
        if (parts.Length != versionAt + 1 || parts[versionAt].Length == 0 || !char.IsAsciiDigit(parts[versionAt][0]))
        {
            return null;
        }

        string version = parts[versionAt];
        int underscore = version.IndexOf('_', StringComparison.Ordinal);
        return (string.Join('/', parts[..versionAt]), underscore > 0 ? version[..underscore] : version);
    }
}
