using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages.Npm;

/// <summary>
/// Yarn's <c>yarn.lock</c>, both formats: classic (v1: <c>lodash@^4.17.0, lodash@^4.17.15:</c> then
/// <c>  version "4.17.15"</c>) and Berry (v2+, YAML: <c>"lodash@npm:^4.17.15":</c> then <c>  version: 4.17.15</c> and
/// <c>  resolution: "lodash@npm:4.17.15"</c>). One entry is one installed package, named by its first descriptor.
/// Entries that are not registry packages are skipped: Berry's <c>workspace:</c>, <c>patch:</c> (the unpatched package
/// has its own entry), <c>link:</c>, <c>portal:</c>, <c>file:</c> and git resolutions, and classic descriptors with
/// <c>file:</c>/<c>link:</c>/git ranges. Lock files inside <c>node_modules</c> are not read (the installed
/// package.json files are), and an entry installed under the project's <c>node_modules</c> is reported once
/// (<c>ImageMerge</c>).
/// </summary>
public sealed class YarnLockAnalyzer : IFileAnalyzer
{
    public string Name => "yarn-lock";

    public bool Wants(string path, long size, int mode) =>
        PathMatch.EndsWith(path, "/yarn.lock") && !PathMatch.Contains(path, "/node_modules/");

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        var collector = new PackageCollector(Name, file);
        Entry? entry = null;
        bool sawHeader = false;
        await foreach (string line in LockLines.ReadAsync(file.Content, () => collector.Warn($"a line longer than {LockLines.MaxLineChars} characters was cut"), ct).ConfigureAwait(false))
        {
            if (line.Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            int indent = LockLines.Indent(line);
            if (indent == 0)
            {
                if (!Flush(entry, collector))
                {
                    return collector.ToAnalysis();
                }

                entry = line.EndsWith(':') ? Entry.FromHeader(line[..^1]) : null;
                sawHeader |= entry is not null;
                continue;
            }

            if (entry is null || indent != 2)
            {
                continue; // dependencies:, checksum lines below an entry, and what is not under an entry at all
            }

            string body = line[2..];
            if (Field(body, "version") is { } version)
            {
                entry.Version = version;
            }
            else if (Field(body, "resolution") is { } resolution)
            {
                entry.Resolution = resolution;
            }
        }

        Flush(entry, collector);
        if (!sawHeader)
        {
            collector.Warn("no entries: not a yarn lock file");
        }

        return collector.ToAnalysis();
    }

    /// <summary><c>version "1.2.3"</c> (classic) or <c>version: 1.2.3</c> (Berry).</summary>
    private static string? Field(string body, string name)
    {
        if (!body.StartsWith(name, StringComparison.Ordinal) || body.Length <= name.Length)
        {
            return null;
        }

        char next = body[name.Length];
        return next is ' ' or ':' ? LockLines.Unquote(body[(name.Length + 1)..]) : null;
    }

    /// <returns>false when the file's package limit is reached.</returns>
    private static bool Flush(Entry? entry, PackageCollector collector)
    {
        if (entry is null || entry.Name is null || entry.Version is null || !entry.IsRegistryPackage)
        {
            return true;
        }

        return NpmLockAnalyzer.Add(collector, entry.Name, entry.Version, []);
    }

    private sealed class Entry
    {
        public string? Name { get; private init; }

        /// <summary>What follows <c>name@</c> in the first descriptor: a range (classic) or <c>npm:^1.2.3</c> (Berry).</summary>
        private string Range { get; init; } = "";

        public string? Version { get; set; }

        public string? Resolution { get; set; }

        public bool IsRegistryPackage
        {
            get
            {
                if (Resolution is { } r)
                {
                    // Berry: name@npm:1.2.3 is the registry; workspace:, patch:, link:, portal:, file:, git are not.
                    int at = r.IndexOf('@', 1);
                    return at > 0 && r.AsSpan(at + 1).StartsWith("npm:", StringComparison.Ordinal);
                }

                return !(Range.StartsWith("file:", StringComparison.Ordinal) || Range.StartsWith("link:", StringComparison.Ordinal)
                    || Range.StartsWith("workspace:", StringComparison.Ordinal) || Range.StartsWith("portal:", StringComparison.Ordinal)
                    || Range.StartsWith("patch:", StringComparison.Ordinal) || Range.Contains("://", StringComparison.Ordinal)
                    || Range.StartsWith("git", StringComparison.Ordinal) || Range.StartsWith("github:", StringComparison.Ordinal));
            }
        }

        /// <summary><c>"@scope/a@^1.0.0", "@scope/a@^1.1.0"</c> → <c>@scope/a</c>; <c>__metadata</c> is no package.</summary>
        public static Entry? FromHeader(string header)
        {
            // Classic quotes each descriptor ("a@^1", "a@^2"), Berry the whole list ("a@npm:^1, a@npm:^1.1").
            string first = header.Split(',')[0].Trim().Trim('"', '\'');
            int at = first.IndexOf('@', 1);
            if (at <= 0)
            {
                return null;
            }

            return new Entry { Name = first[..at], Range = first[(at + 1)..] };
        }
    }
}
