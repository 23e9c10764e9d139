using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Bollard.Scanning.Tests.Sbom;

/// <summary>The official JSON schemas, read from the copies in the test output (no network: nothing is fetched).</summary>
internal static class Schemas
{
    private static readonly Lazy<JsonSchema> CycloneDxSchema = new(LoadCycloneDx);
    private static readonly Lazy<JsonSchema> SarifSchema = new(LoadSarif);

    public static JsonSchema CycloneDx => CycloneDxSchema.Value;

    public static JsonSchema Sarif => SarifSchema.Value;

    private static readonly Lazy<JsonSchema> SpdxSchema = new(LoadSpdx);

    /// <summary>The official SPDX 2.3 schema (schemas/spdx-2.3.schema.json, see schemas/README.md).</summary>
    public static JsonSchema Spdx => SpdxSchema.Value;

    /// <summary>Asserts that <paramref name="json"/> is valid, listing every error with its location when it is not.</summary>
    public static void AssertValid(JsonSchema schema, byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return;
        var errors = (result.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .Take(30);
        Assert.Fail("not valid against the schema:\n" + string.Join("\n", errors));
    }

    private static string Dir(string folder) => Path.Combine(AppContext.BaseDirectory, folder, "schemas");

    private static JsonSchema LoadCycloneDx()
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        string dir = Dir("Sbom");
        // The package's copies name the .SNAPSHOT. files in their $refs; map them back to the official $ids.
        JsonSchema.FromText(File.ReadAllText(Path.Combine(dir, "spdx.SNAPSHOT.schema.json")), options);
        JsonSchema.FromText(File.ReadAllText(Path.Combine(dir, "jsf-0.82.SNAPSHOT.schema.json")), options);
        string bom = File.ReadAllText(Path.Combine(dir, "bom-1.6.SNAPSHOT.schema.json"))
            .Replace("spdx.SNAPSHOT.schema.json", "spdx.schema.json", StringComparison.Ordinal)
            .Replace("jsf-0.82.SNAPSHOT.schema.json", "jsf-0.82.schema.json", StringComparison.Ordinal);
        return JsonSchema.FromText(bom, options);
    }

    private static JsonSchema LoadSarif()
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir("Reports"), "sarif-2.1.0-rtm.5.json")))!.AsObject();
        // Draft-04 "id" is draft-06's "$id" (given as the base URI here); the schema uses no other draft-04-only construct.
        var id = new Uri(node["id"]!.GetValue<string>());
        node.Remove("id");
        node["$schema"] = "http://json-schema.org/draft-06/schema#";
        return JsonSchema.FromText(node.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }, id);
    }

    private static JsonSchema LoadSpdx() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(Dir("Sbom"), "spdx-2.3.schema.json")), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
}
