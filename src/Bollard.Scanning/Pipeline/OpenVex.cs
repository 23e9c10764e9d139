using System.Globalization;
using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// OpenVEX documents (openvex/spec v0.2.0, https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md) attached to an
/// image as referrers. A statement names a vulnerability (<c>vulnerability.name</c>, its <c>@id</c> or
/// <c>aliases</c>, or the plain string of older drafts; matched against a finding's id and aliases), the products it
/// is about and a status:
/// <list type="bullet">
/// <item>no products: the image the document is attached to;</item>
/// <item>a product that is this image (an OCI purl or reference holding its digest, as <c>@id</c> or in
/// <c>identifiers</c>): every package of it, or, when it lists <c>subcomponents</c>, only the packages named there;</item>
/// <item>a product that is a package purl (<c>pkg:npm/lodash@4.17.15</c>; no version: every version): that package.</item>
/// </list>
/// A product that is another image, or an image product whose subcomponents name other packages, is not about the
/// finding. <c>not_affected</c> and <c>fixed</c> set the finding's status; <c>under_investigation</c> and
/// <c>affected</c> leave it affected and say so in the reason. Across every document of the image the latest statement
/// wins (the spec's rule: by statement timestamp, else the document's; ties by document then statement order).
/// </summary>
public sealed class OpenVex
{
    private readonly List<Statement> _statements;

    private OpenVex(List<Statement> statements) => _statements = statements;

    public static IReadOnlyList<string> ArtifactTypes { get; } = ["application/vnd.openvex+json", "application/openvex+json"];

    /// <summary>The statements kept (ones without a vulnerability name or with an unknown status are dropped).</summary>
    public int Count => _statements.Count;

    /// <summary>
    /// Reads a document. Bad JSON, a document without the OpenVEX <c>@context</c> (<c>https://openvex.dev/ns…</c>) or
    /// without a statements array gives a <see cref="FormatException"/> (the caller reports it, never crashes).
    /// </summary>
    public static OpenVex Parse(ReadOnlySpan<byte> json)
    {
        var statements = new List<Statement>();
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 32 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("not an OpenVEX document: not a JSON object");
            if (Text(root, "@context") is not { } context || !context.StartsWith("https://openvex.dev/ns", StringComparison.Ordinal))
                throw new FormatException("not an OpenVEX document: no https://openvex.dev/ns @context");
            if (!root.TryGetProperty("statements", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new FormatException("not an OpenVEX document: no statements array");
            DateTimeOffset? docTime = Time(root, "timestamp");
            int order = 0;
            foreach (var s in list.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.Object) continue;
                var names = Names(s);
                string? status = Text(s, "status");
                FindingStatus? mapped = status switch
                {
                    "not_affected" => FindingStatus.NotAffected,
                    "fixed" => FindingStatus.Fixed,
                    _ => null,
                };
                if (names.Count == 0 || status is not ("not_affected" or "fixed" or "affected" or "under_investigation")) continue;
                string reason = string.Join(": ", new[] { Text(s, "justification"), Text(s, "impact_statement"), Text(s, "status_notes"), Text(s, "action_statement") }.OfType<string>());
                statements.Add(new Statement(names, Products(s), mapped, status, reason.Length == 0 ? null : reason, Time(s, "timestamp") ?? docTime, order++));
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"not an OpenVEX document: {e.Message}", e);
        }
        return new OpenVex(statements);
    }

    /// <summary>
    /// The latest statement of <paramref name="documents"/> about <paramref name="finding"/> of image
    /// <paramref name="imageDigest"/>, or null when none is about it.
    /// </summary>
    /// <returns>The status to set (null: <c>affected</c>/<c>under_investigation</c>, the matched status stays), the raw status and the reason.</returns>
    public static VexVerdict? Resolve(IReadOnlyList<OpenVex> documents, Finding finding, string imageDigest)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(finding);
        Statement? latest = null;
        int latestDoc = -1;
        for (int d = 0; d < documents.Count; d++)
            foreach (var s in documents[d]._statements)
            {
                if (!s.Names.Any(n => Same(n, finding.AdvisoryId) || finding.Aliases.Any(a => Same(n, a)))) continue;
                if (s.Products.Count > 0 && !s.Products.Any(p => p.IsAbout(finding, imageDigest))) continue;
                if (latest is null || Later(s, d, latest, latestDoc)) (latest, latestDoc) = (s, d);
            }
        return latest is null ? null : new VexVerdict(latest.Status, latest.RawStatus, latest.Reason);
    }

    private static bool Later(Statement a, int aDoc, Statement b, int bDoc)
    {
        var ta = a.Time ?? DateTimeOffset.MinValue;
        var tb = b.Time ?? DateTimeOffset.MinValue;
        return ta != tb ? ta > tb : aDoc != bDoc ? aDoc > bDoc : a.Order > b.Order;
    }

    private static List<string> Names(JsonElement s)
    {
        var names = new List<string>();
        if (!s.TryGetProperty("vulnerability", out var v)) return names;
        if (v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } plain) names.Add(plain);
        else if (v.ValueKind == JsonValueKind.Object)
        {
            if (Text(v, "name") is { } n) names.Add(n);
            if (Text(v, "@id") is { } id) names.Add(id);
            if (v.TryGetProperty("aliases", out var aliases) && aliases.ValueKind == JsonValueKind.Array)
                names.AddRange(aliases.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!));
        }
        return names;
    }

    private static List<Product> Products(JsonElement s)
    {
        var products = new List<Product>();
        if (!s.TryGetProperty("products", out var ps) || ps.ValueKind != JsonValueKind.Array) return products;
        foreach (var p in ps.EnumerateArray())
        {
            if (p.ValueKind == JsonValueKind.String) products.Add(new Product([p.GetString()!], []));
            else if (p.ValueKind == JsonValueKind.Object)
            {
                var subs = p.TryGetProperty("subcomponents", out var list) && list.ValueKind == JsonValueKind.Array
                    ? list.EnumerateArray().SelectMany(Ids).ToList()
                    : [];
                products.Add(new Product(Ids(p).ToList(), subs));
            }
        }
        return products;
    }

    /// <summary>A component's identifiers: <c>@id</c> and the values of <c>identifiers</c> (purl, cpe22, cpe23), or the string itself.</summary>
    private static IEnumerable<string> Ids(JsonElement component)
    {
        if (component.ValueKind == JsonValueKind.String && component.GetString() is { Length: > 0 } plain)
        {
            yield return plain;
            yield break;
        }
        if (component.ValueKind != JsonValueKind.Object) yield break;
        if (Text(component, "@id") is { } id) yield return id;
        if (component.TryGetProperty("identifiers", out var ids) && ids.ValueKind == JsonValueKind.Object)
            foreach (var i in ids.EnumerateObject())
                if (i.Value.ValueKind == JsonValueKind.String && i.Value.GetString() is { Length: > 0 } value) yield return value;
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static bool AboutImage(string id, string digest) =>
        id.Replace("%3A", ":", StringComparison.OrdinalIgnoreCase).Contains(digest, StringComparison.Ordinal);

    private static bool AboutPackage(string id, Finding finding)
    {
        if (!id.StartsWith("pkg:", StringComparison.Ordinal) || id.StartsWith("pkg:oci/", StringComparison.Ordinal)) return false;
        if (ScanPurls.Base(id) != ScanPurls.Base(finding.Purl)) return false;
        string? version = ScanPurls.Version(id);
        return version is null || version == finding.InstalledVersion;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        Text(e, name) is { } t && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v) ? v : null;

    /// <summary>A product of a statement: its identifiers and those of the subcomponents it lists.</summary>
    private sealed record Product(IReadOnlyList<string> Ids, IReadOnlyList<string> Subcomponents)
    {
        public bool IsAbout(Finding finding, string imageDigest)
        {
            if (Ids.Any(id => AboutPackage(id, finding))) return true;
            if (!Ids.Any(id => AboutImage(id, imageDigest))) return false;
            return Subcomponents.Count == 0 || Subcomponents.Any(id => AboutPackage(id, finding));
        }
    }

    private sealed record Statement(IReadOnlyList<string> Names, IReadOnlyList<Product> Products, FindingStatus? Status, string RawStatus, string? Reason,
        DateTimeOffset? Time, int Order);
}

/// <summary>What the latest OpenVEX statement about a finding says.</summary>
/// <param name="Status"><see cref="FindingStatus.NotAffected"/> or <see cref="FindingStatus.Fixed"/>; null for <c>affected</c> and <c>under_investigation</c> (the matched status stays).</param>
/// <param name="RawStatus">The statement's status as written.</param>
/// <param name="Reason">Justification, impact statement, notes or action statement, as given.</param>
public sealed record VexVerdict(FindingStatus? Status, string RawStatus, string? Reason);
