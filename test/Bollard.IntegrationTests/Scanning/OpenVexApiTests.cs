using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Scanning.Advisories;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Scanning;

/// <summary>
/// OpenVEX on the real server: an image with real lodash findings (real OSV records), OpenVEX v0.2.0 documents pushed
/// as OCI 1.1 referrers through <c>/v2</c> exactly as a client (oras, vexctl attest) does — the document as a blob,
/// an empty config, a manifest with <c>artifactType</c> and <c>subject</c> — and the findings API showing each
/// statement's effect: not_affected, fixed, under_investigation, affected, the latest statement winning by timestamp;
/// a malformed document and one about another product change nothing.
/// </summary>
public sealed class OpenVexApiTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Repo = "vex/app";
    private const string Redos = "GHSA-29mw-wpgm-hmr9"; // CVE-2020-28500, lodash < 4.17.21
    private const string Pollution = "GHSA-p6mc-m468-83gw"; // CVE-2020-8203, lodash < 4.17.19
    private const string EmptyConfig = "{}";

    private const string LockFile =
        """
        {
          "name": "app",
          "version": "1.0.0",
          "lockfileVersion": 3,
          "requires": true,
          "packages": {
            "": { "name": "app", "version": "1.0.0", "dependencies": { "lodash": "4.17.15" } },
            "node_modules/lodash": { "version": "4.17.15", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz" }
          }
        }
        """;

    private readonly string _work = TempDir.Create("bollard-vex-");
    private BollardServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Jobs:PollInterval"] = "00:00:00.100", ["Scanning:Enabled"] = "true" }, output: output);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDir.Delete(_work);
    }

    [Fact]
    public async Task VexReferrers_ChangeTheFindingsStatus_OnlyForThisImageAndPackage()
    {
        string osv = Path.Combine(_work, "osv", "npm");
        Directory.CreateDirectory(osv);
        foreach (string id in new[] { Redos, Pollution })
            File.Copy(Path.Combine(ScanImages.VulnData, "osv", "npm", id + ".json"), Path.Combine(osv, id + ".json"));
        await _server.Services.GetRequiredService<AdvisoryDatabase>().ImportAsync(osv, new AdvisoryImportOptions { Feed = "osv:vex-test" }, default);

        string image = await ScanImages.PushDebianAsync(_work, _server.HostPort, Repo, "1", null, null, ("/app/package-lock.json", LockFile));
        var state = await ScanImages.WaitForStateAsync(_server.Client, Repo, image, s => s is "done" or "failed");
        Assert.True(state["state"]!.GetValue<string>() == "done", state.ToJsonString());
        Assert.Equal(("Affected", "Affected"), (await StatusAsync(image, Redos), await StatusAsync(image, Pollution)));

        string product = $"pkg:oci/app@{image.Replace(":", "%3A", StringComparison.Ordinal)}?repository_url={_server.HostPort}/{Repo}";
        string lodash = "pkg:npm/lodash@4.17.15";

        // A malformed document (not JSON) and one that is JSON but not OpenVEX: reported, nothing changes.
        string bad = await PushVexAsync(image, "{ \"statements\": [ this is not json");
        string noContext = await PushVexAsync(image, """{ "statements": [ { "vulnerability": { "name": "CVE-2020-28500" }, "status": "not_affected", "justification": "component_not_present" } ] }""");
        var findings = await FindingsAsync(image);
        Assert.Equal(("Affected", "Affected"), (Status(findings, Redos), Status(findings, Pollution)));
        var warnings = findings["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Contains(warnings, w => w.StartsWith($"OpenVEX {bad}:", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith($"OpenVEX {noContext}:", StringComparison.Ordinal) && w.Contains("@context", StringComparison.Ordinal));

        // About another image (even naming the same lodash as its subcomponent), and about another lodash version: nothing changes.
        string otherImage = "sha256:" + new string('e', 64);
        await PushVexAsync(image, Vex("2026-12-01T09:00:00Z",
            Statement("CVE-2020-28500", "not_affected", Product($"pkg:oci/other@{otherImage.Replace(":", "%3A", StringComparison.Ordinal)}", lodash), "\"justification\": \"component_not_present\""),
            Statement("CVE-2020-8203", "fixed", "{ \"@id\": \"pkg:npm/lodash@4.17.21\" }")));
        Assert.Equal(("Affected", "Affected"), (await StatusAsync(image, Redos), await StatusAsync(image, Pollution)));

        // not_affected for this image's lodash: resolved, hidden from the default list, with the justification.
        await PushVexAsync(image, Vex("2026-12-01T10:00:00Z",
            Statement("CVE-2020-28500", "not_affected", Product(product, lodash),
                "\"justification\": \"vulnerable_code_not_in_execute_path\", \"impact_statement\": \"trim, trimEnd and toNumber never see user input\"")));
        findings = await FindingsAsync(image);
        Assert.Equal("NotAffected", Status(findings, Redos));
        Assert.Equal("vulnerable_code_not_in_execute_path: trim, trimEnd and toNumber never see user input", Finding(findings, Redos)["statusReason"]!.GetValue<string>());
        Assert.Equal([Pollution], Ids(await FindingsAsync(image, all: false)));

        // A later document: under investigation again (affected, visible) and the other one fixed (by package purl).
        await PushVexAsync(image, Vex("2026-12-02T10:00:00Z",
            Statement("CVE-2020-28500", "under_investigation", Product(product), "\"status_notes\": \"trimEnd is called on form input\""),
            Statement("CVE-2020-8203", "fixed", $"{{ \"@id\": \"{lodash}\" }}")));
        findings = await FindingsAsync(image);
        Assert.Equal(("Affected", "Fixed"), (Status(findings, Redos), Status(findings, Pollution)));
        Assert.Contains("OpenVEX under_investigation: trimEnd is called on form input", Finding(findings, Redos)["statusReason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal([Redos], Ids(await FindingsAsync(image, all: false)));

        // Pushed last but dated earlier: the latest statement by timestamp still wins.
        await PushVexAsync(image, Vex("2026-11-20T10:00:00Z",
            Statement("CVE-2020-28500", "not_affected", Product(product), "\"justification\": \"inline_mitigations_already_exist\"")));
        Assert.Equal("Affected", await StatusAsync(image, Redos));

        // affected, with the action statement the spec requires.
        await PushVexAsync(image, Vex("2026-12-03T10:00:00Z",
            Statement("CVE-2020-28500", "affected", Product(product, lodash), "\"action_statement\": \"upgrade lodash to 4.17.21\"")));
        findings = await FindingsAsync(image);
        Assert.Equal(("Affected", "Fixed"), (Status(findings, Redos), Status(findings, Pollution)));
        Assert.Contains("OpenVEX affected: upgrade lodash to 4.17.21", Finding(findings, Redos)["statusReason"]!.GetValue<string>(), StringComparison.Ordinal);

        // The documents are standard referrers of the image.
        using var referrers = await _server.Client.GetAsync($"/v2/{Repo}/referrers/{image}?artifactType=application/vnd.openvex%2Bjson");
        var index = await AccessServer.ExpectAsync(referrers, HttpStatusCode.OK, "referrers");
        Assert.Equal(7, index["manifests"]!.AsArray().Count);
    }

    private static string Vex(string timestamp, params string[] statements) =>
        $$"""
        {
          "@context": "https://openvex.dev/ns/v0.2.0",
          "@id": "https://vex.example.com/app/{{Guid.NewGuid():N}}",
          "author": "App team <app@example.com>",
          "role": "Document Creator",
          "timestamp": "{{timestamp}}",
          "version": 1,
          "tooling": "hand-written for Bollard's tests",
          "statements": [
            {{string.Join(",\n    ", statements)}}
          ]
        }
        """;

    private static string Statement(string vulnerability, string status, string product, string extra = "") =>
        $$"""{ "vulnerability": { "name": "{{vulnerability}}" }, "products": [ {{product}} ], "status": "{{status}}"{{(extra.Length > 0 ? ", " + extra : "")}} }""";

    private static string Product(string id, params string[] subcomponents) =>
        $$"""{ "@id": "{{id}}"{{(subcomponents.Length > 0 ? ", \"subcomponents\": [ " + string.Join(", ", subcomponents.Select(s => $"{{ \"@id\": \"{s}\" }}")) + " ]" : "")}} }""";

    /// <summary>Pushes <paramref name="document"/> as an OpenVEX referrer of <paramref name="subject"/> (blob, empty config, manifest by digest); returns the manifest digest.</summary>
    private async Task<string> PushVexAsync(string subject, string document)
    {
        var client = _server.Client;
        byte[] subjectManifest = await client.GetByteArrayAsync($"/v2/{Repo}/manifests/{subject}");
        byte[] vex = Encoding.UTF8.GetBytes(document);
        string vexDigest = await client.PushBlobAsync(Repo, vex);
        string configDigest = await client.PushBlobAsync(Repo, Encoding.UTF8.GetBytes(EmptyConfig));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["artifactType"] = "application/vnd.openvex+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.empty.v1+json", ["digest"] = configDigest, ["size"] = EmptyConfig.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.openvex+json", ["digest"] = vexDigest, ["size"] = vex.Length }),
            ["subject"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = subject, ["size"] = subjectManifest.Length },
            ["annotations"] = new JsonObject { ["org.opencontainers.image.created"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) },
        };
        byte[] body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        string digest = RegistryTestClient.Sha256(body);
        using var response = await client.PutManifestAsync(Repo, digest, body, "application/vnd.oci.image.manifest.v1+json");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(subject, response.Headers.GetValues("OCI-Subject").Single());
        return digest;
    }

    private async Task<JsonNode> FindingsAsync(string digest, bool all = true)
    {
        using var response = await _server.Client.GetAsync($"/api/v1/repositories/{Repo}/manifests/{digest}/findings{(all ? "?all=true" : "")}");
        return await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "findings");
    }

    private async Task<string> StatusAsync(string digest, string advisory) => Status(await FindingsAsync(digest), advisory);

    private static JsonNode Finding(JsonNode findings, string advisory) =>
        findings["findings"]!.AsArray().Single(f => f!["advisoryId"]!.GetValue<string>() == advisory)!;

    private static string Status(JsonNode findings, string advisory) => Finding(findings, advisory)["status"]!.GetValue<string>();

    private static List<string> Ids(JsonNode findings) => findings["findings"]!.AsArray().Select(f => f!["advisoryId"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
}
