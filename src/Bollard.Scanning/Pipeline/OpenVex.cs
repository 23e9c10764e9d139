using System.Text.Json;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// OpenVEX documents (openvex/spec v0.2.0) attached to an image as referrers: each statement names a vulnerability
/// (<c>vulnerability.name</c>, or its <c>@id</c>, or the vulnerability string of older drafts, matched against a
/// finding's id and aliases), the products it is about (empty: the image itself; else purls or OCI references,
/// matched against the image digest and the finding's package purl), and a status. <c>not_affected</c> and
/// <c>fixed</c> change the finding's status, with the justification (and impact statement) as the reason; later
/// statements win (the spec's "latest statement" rule, by timestamp within a document, then by document order).
/// </summary>
public sealed class OpenVex
{
    private readonly List<Statement> _statements;

    private OpenVex(List<Statement> statements) => _statements = statements;

    public static IReadOnlyList<string> ArtifactTypes { get; } = ["application/vnd.openvex+json", "application/openvex+json"];

    public int Count => _statements.Count;

    /// <summary>Reads a document; bad JSON or a document without statements gives a <see cref="FormatException"/> (the caller reports it, never crashes).</summary>
    public static OpenVex Parse(ReadOnlySpan<byte> json)
    {
        var statements = new List<Statement>();
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 32 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("statements", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new FormatException("not an OpenVEX document: no statements array");
            DateTimeOffset? docTime = Time(doc.RootElement, "timestamp");
            int order = 0;
            foreach (var s in list.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.Object) continue;
                var names = new List<string>();
                if (s.TryGetProperty("vulnerability", out var v))
                {
                    if (v.ValueKind == JsonValueKind.String) names.Add(v.GetString()!);
                    else if (v.ValueKind == JsonValueKind.Object)
                    {
                        if (Text(v, "name") is { } n) names.Add(n);
                        if (Text(v, "@id") is { } id) names.Add(id);
                        if (v.TryGetProperty("aliases", out var aliases) && aliases.ValueKind == JsonValueKind.Array)
                            names.AddRange(aliases.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!));
                    }
                }
                var products = new List<string>();
                if (s.TryGetProperty("products", out var ps) && ps.ValueKind == JsonValueKind.Array)
                    foreach (var p in ps.EnumerateArray())
                    {
                        if (p.ValueKind == JsonValueKind.String) products.Add(p.GetString()!);
                        else if (p.ValueKind == JsonValueKind.Object)
                        {
                            if (Text(p, "@id") is { } id) products.Add(id);
                            if (p.TryGetProperty("identifiers", out var ids) && ids.ValueKind == JsonValueKind.Object)
                                products.AddRange(ids.EnumerateObject().Where(i => i.Value.ValueKind == JsonValueKind.String).Select(i => i.Value.GetString()!));
                            if (p.TryGetProperty("subcomponents", out var subs) && subs.ValueKind == JsonValueKind.Array)
                                products.AddRange(subs.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : Text(x, "@id")).OfType<string>());
                        }
                    }
                string? status = Text(s, "status");
                FindingStatus? mapped = status switch
                {
                    "not_affected" => FindingStatus.NotAffected,
                    "fixed" => FindingStatus.Fixed,
                    "affected" or "under_investigation" => null,
                    _ => null,
                };
                if (names.Count == 0 || status is null) continue;
                string? reason = string.Join(": ", new[] { Text(s, "justification"), Text(s, "impact_statement") ?? Text(s, "status_notes") }.OfType<string>());
                statements.Add(new Statement(names, products, mapped, status, reason.Length == 0 ? null : reason, Time(s, "timestamp") ?? docTime, order++));
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"not an OpenVEX document: {e.Message}", e);
        }
        return new OpenVex(statements.OrderBy(s => s.Time ?? DateTimeOffset.MinValue).ThenBy(s => s.Order).ToList());
    }

    /// <summary>The statement's status and reason for <paramref name="finding"/> of image <paramref name="imageDigest"/>, or null when no statement is about it (the last matching statement wins).</summary>
    public (FindingStatus? Status, string? Reason)? Apply(Finding finding, string imageDigest)
    {
        ArgumentNullException.ThrowIfNull(finding);
        (FindingStatus?, string?)? result = null;
        foreach (var s in _statements)
        {
            if (!s.Names.Any(n => Same(n, finding.AdvisoryId) || finding.Aliases.Any(a => Same(n, a)))) continue;
            if (s.Products.Count > 0 && !s.Products.Any(p => AboutImage(p, imageDigest) || AboutPackage(p, finding))) continue;
            result = (s.Status, s.Reason);
        }
        return result;
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static bool AboutImage(string product, string digest) =>
        product.Contains(digest, StringComparison.Ordinal) || product.Replace("%3A", ":", StringComparison.OrdinalIgnoreCase).Contains(digest, StringComparison.Ordinal);

    private static bool AboutPackage(string product, Finding finding)
    {
        if (!product.StartsWith("pkg:", StringComparison.Ordinal) || product.StartsWith("pkg:oci/", StringComparison.Ordinal)) return false;
        string productBase = Core.Scanning.Pipeline.ScanPurls.Base(product);
        if (productBase != Core.Scanning.Pipeline.ScanPurls.Base(finding.Purl)) return false;
        string? version = Core.Scanning.Pipeline.ScanPurls.Version(product);
        return version is null || version == finding.InstalledVersion;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        Text(e, name) is { } t && DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var v) ? v : null;

    private sealed record Statement(IReadOnlyList<string> Names, IReadOnlyList<string> Products, FindingStatus? Status, string RawStatus, string? Reason, DateTimeOffset? Time, int Order);
}
