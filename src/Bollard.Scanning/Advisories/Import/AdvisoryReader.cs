using System.Text.Json;
using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>
/// Reads every advisory of an import path, whatever its format, detected per file (a directory or zip may mix them):
/// <list type="bullet">
/// <item>JSON: an OSV record (<see cref="OsvParser"/>), a Debian tracker record of aquasecurity/vuln-list-debian
/// (<c>Header</c> + <c>Annotations</c>), an Alpine/Wolfi secdb document or per-package record (<c>packages</c> or
/// <c>secfixes</c>; Alpine when it has a <c>distroversion</c>, else Wolfi), a GitHub advisory in vuln-list form
/// (<c>Advisory</c> + <c>Package</c>);</item>
/// <item>YAML (<c>.yaml</c>/<c>.yml</c>): an Alpine secdb document;</item>
/// <item>a file named <c>list</c> in a <c>DSA</c> or <c>DLA</c> folder: the Debian security tracker's advisory list.</item>
/// </list>
/// Other files (READMEs, licences, indexes, dpkg status files) are ignored; an unparsable JSON or YAML file is a
/// warning. Sources that merge several files into one advisory (Debian CVE + DSA, secdb ids over releases, GHSA per
/// package) are merged here, so the result has one advisory per id.
/// </summary>
public static class AdvisoryReader
{
    public static async Task<AdvisoryReadResult> ReadAsync(AdvisoryFileSet files, AdvisoryImportContext context, CancellationToken ct)
    {
        var osv = new Dictionary<string, Advisory>(StringComparer.Ordinal);
        var debian = new DebianTrackerBuilder(context);
        var secdb = new SecdbBuilder(context);
        var ghsa = new GhsaVulnListBuilder(context);
        long total = 0;
        foreach (var file in files.Files())
        {
            ct.ThrowIfCancellationRequested();
            string name = file.Name;
            string lower = name.ToLowerInvariant();
            bool json = lower.EndsWith(".json", StringComparison.Ordinal);
            bool yaml = lower.EndsWith(".yaml", StringComparison.Ordinal) || lower.EndsWith(".yml", StringComparison.Ordinal);
            bool dsaList = name == "list" && (file.RelativePath.EndsWith("DSA/list", StringComparison.Ordinal) || file.RelativePath.EndsWith("DLA/list", StringComparison.Ordinal));
            if (!json && !yaml && !dsaList) continue;
            if (total > AdvisoryFileSet.MaxTotalBytes)
            {
                context.Warn($"{file.RelativePath}: import stopped, more than {AdvisoryFileSet.MaxTotalBytes} bytes read");
                break;
            }
            byte[]? bytes = await AdvisoryFileSet.ReadBoundedAsync(file, context, ct).ConfigureAwait(false);
            if (bytes is null) continue;
            total += bytes.Length;
            if (dsaList)
            {
                debian.AddList(file.RelativePath, bytes);
                continue;
            }
            if (yaml)
            {
                secdb.AddYaml(file.RelativePath, bytes);
                continue;
            }
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64, AllowTrailingCommas = true });
            }
            catch (JsonException e)
            {
                context.Warn($"{file.RelativePath}: not valid JSON ({e.Message})");
                continue;
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) continue;
                if (root.TryGetProperty("Header", out _) && root.TryGetProperty("Annotations", out _)) debian.AddJson(file.RelativePath, root);
                else if (root.TryGetProperty("Advisory", out _) && root.TryGetProperty("Package", out _)) ghsa.Add(file.RelativePath, root);
                else if (root.TryGetProperty("secfixes", out _) || (root.TryGetProperty("packages", out _) && root.TryGetProperty("reponame", out _))) secdb.AddJson(file.RelativePath, root);
                else if (OsvParser.Recognizes(root))
                {
                    if (OsvParser.Parse(root, file.RelativePath, context) is { } advisory)
                    {
                        if (!osv.TryAdd(advisory.Id, advisory)) context.Warn($"{file.RelativePath}: {advisory.Id} appears twice, the later file is kept");
                        osv[advisory.Id] = advisory;
                    }
                }
                // Any other JSON (package.json, an index) is not advisory data: ignored.
            }
        }
        var advisories = new List<Advisory>(osv.Values);
        advisories.AddRange(debian.Build());
        advisories.AddRange(secdb.Build());
        advisories.AddRange(ghsa.Build());
        return new AdvisoryReadResult(advisories);
    }
}
