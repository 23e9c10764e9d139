using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Events;
using Bollard.Trust.Keys;
using Microsoft.Extensions.DependencyInjection;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// The pull gate of trust policies on the real server with access control on: an enforcing namespace refuses an
/// unsigned image (403 DENIED with the reason) and serves it once signed, while signature and referrer lookups stay
/// open; warn mode serves, audits and sends one PolicyViolation per interval; a policy change shows in the next
/// decision; a dry run says what enforcing then does.
/// </summary>
public sealed class PolicyGateTests
{
    private static JsonNode RequireDev => JsonValue.Create("dev")!;

    [Fact]
    public async Task Enforce_UnsignedPullDenied_SignedPullServed_SignatureLookupsNotGated()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var image = await AccessServer.PushImageAsync(registry, "gate/app", "1");
        await PutPolicyOkAsync(access.AdminApi, Policy("gate", "gate/**", "enforce", new Dictionary<string, LocalSigner> { ["dev"] = dev }, RequireDev));

        using (var denied = await registry.GetAsync($"/v2/gate/app/manifests/1"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            string body = await denied.Content.ReadAsStringAsync();
            var error = JsonNode.Parse(body)!["errors"]![0]!;
            Assert.Equal("DENIED", error["code"]!.GetValue<string>());
            // The reasons are the error's detail (the message is the spec's fixed text).
            Assert.Contains("trust policy gate v1 (enforce)", error["detail"]!.ToJsonString(), StringComparison.Ordinal);
            Assert.Contains("dev", error["detail"]!.ToJsonString(), StringComparison.Ordinal);
        }
        using (var head = await registry.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/gate/app/manifests/{image.Digest}")))
            Assert.Equal(HttpStatusCode.Forbidden, head.StatusCode);
        // Finding out why, and signing after the push, stay possible.
        using (var referrers = await registry.GetAsync($"/v2/gate/app/referrers/{image.Digest}"))
            Assert.Equal(HttpStatusCode.OK, referrers.StatusCode);
        using (var noSig = await registry.GetAsync($"/v2/gate/app/manifests/{image.Digest.Replace(':', '-')}.sig"))
            Assert.Equal(HttpStatusCode.NotFound, noSig.StatusCode);
        using (var blob = await registry.GetAsync($"/v2/gate/app/blobs/{image.Config}"))
            Assert.Equal(HttpStatusCode.OK, blob.StatusCode);

        // A signature by another key does not count.
        await SignCosignAsync(registry, access.Server.HostPort, "gate/app", image.Digest, LocalSigner.GenerateEcdsaP256());
        using (var sig = await registry.GetAsync($"/v2/gate/app/manifests/{image.Digest.Replace(':', '-')}.sig"))
            Assert.Equal(HttpStatusCode.OK, sig.StatusCode);
        var test = await TestAsync(access.AdminApi, "gate/app", "1");
        Assert.False(test["allowed"]!.GetValue<bool>(), test.ToJsonString());
        Assert.Single(test["signatures"]!.AsArray());
        Assert.False(test["signatures"]![0]!["signers"]![0]!["trusted"]!.GetValue<bool>(), test.ToJsonString());

        await SignCosignAsync(registry, access.Server.HostPort, "gate/app", image.Digest, dev);
        using (var served = await PullUntilAsync(registry, "gate/app", "1", HttpStatusCode.OK))
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        test = await TestAsync(access.AdminApi, "gate/app", image.Digest);
        Assert.True(test["allowed"]!.GetValue<bool>(), test.ToJsonString());
        Assert.Equal(["dev"], test["signatures"]![0]!["trustedBy"]!.AsArray().Select(n => n!.GetValue<string>()));

        // The denial was audited and is among the recent decisions, with its reason.
        await access.AssertAuditedAsync("admin", "policy.deny", "denied", "gate/app");
        var decisions = await DecisionsAsync(access.AdminApi, "gate/app", 2);
        Assert.Contains(decisions, d => d!["point"]!.GetValue<string>() == "pull" && !d["allowed"]!.GetValue<bool>() && d["reasons"]!.AsArray().Count > 0);
        Assert.Contains(decisions, d => d!["point"]!.GetValue<string>() == "policy-test" && d["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_stored_policy_that_no_longer_parses_keeps_its_namespace_closed_with_the_reason()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var image = await AccessServer.PushImageAsync(registry, "broken/app", "1");
        await SignCosignAsync(registry, access.Server.HostPort, "broken/app", image.Digest, dev);
        await PutPolicyOkAsync(access.AdminApi, Policy("broken", "broken/**", "enforce", new Dictionary<string, LocalSigner> { ["dev"] = dev }, RequireDev));
        (await PullUntilAsync(registry, "broken/app", "1", HttpStatusCode.OK)).Dispose();

        // The stored document is damaged (or written by a Bollard that knew a field this one does not).
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(access.Server.DataDir, "bollard.db")};Pooling=False"))
        {
            await db.OpenAsync();
            using var update = db.CreateCommand();
            update.CommandText = "UPDATE trust_policy_versions SET document = '{\"name\":\"broken\",\"namespace\":\"broken/**\",\"mode\":\"enforce\",\"require\":{\"everyOf\":[\"dev\"]}}' WHERE name = 'broken'";
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }
        access.Server.Services.GetRequiredService<Bollard.Server.Trust.TrustCaches>().PoliciesChanged();

        using var denied = await PullUntilAsync(registry, "broken/app", "1", HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("policy broken v1 cannot be read", await denied.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var test = await TestAsync(access.AdminApi, "broken/app", "1");
        Assert.False(test["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Skopeo_InspectOfAnUnsignedImageIsDenied_AndWorksOnceSigned()
    {
        ExternalTool.Require("skopeo");
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var image = await AccessServer.PushImageAsync(registry, "skopeo/app", "1");
        await PutPolicyOkAsync(access.AdminApi, Policy("skopeo", "skopeo/**", "enforce", new Dictionary<string, LocalSigner> { ["dev"] = dev }, RequireDev));
        string creds = $"admin:{AccessServer.AdminPassword}";
        var refused = await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", creds, $"docker://{access.Server.HostPort}/skopeo/app:1"]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("denied", refused.Stderr, StringComparison.OrdinalIgnoreCase);

        await SignCosignAsync(registry, access.Server.HostPort, "skopeo/app", image.Digest, dev);
        (await PullUntilAsync(registry, "skopeo/app", "1", HttpStatusCode.OK)).Dispose();
        var inspected = await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", creds, $"docker://{access.Server.HostPort}/skopeo/app:1"]);
        Assert.True(inspected.ExitCode == 0, inspected.Stderr);
        Assert.Equal(RegistryTestClient.Sha256(System.Text.Encoding.UTF8.GetBytes(inspected.Stdout.TrimEnd('\n'))), image.Digest);
    }

    [Fact]
    public async Task Warn_ServesAudits_AndSendsOneViolationEventPerInterval()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var image = await AccessServer.PushImageAsync(registry, "warn/app", "1");
        await PutPolicyOkAsync(access.AdminApi, Policy("warn", "warn/**", "warn", new Dictionary<string, LocalSigner> { ["dev"] = LocalSigner.GenerateEcdsaP256() }, RequireDev));

        for (int i = 0; i < 5; i++)
            using (var pull = await registry.GetAsync("/v2/warn/app/manifests/1"))
                Assert.Equal(HttpStatusCode.OK, pull.StatusCode);

        var decisions = await DecisionsAsync(access.AdminApi, "warn/app");
        var decision = Assert.Single(decisions);
        Assert.True(decision!["allowed"]!.GetValue<bool>());
        Assert.Equal("warn", decision["mode"]!.GetValue<string>());
        Assert.Contains("dev", decision["reasons"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        await access.AssertAuditedAsync("admin", "policy.warn", "success", "warn/app");
        var violations = await EventsAsync(access.Server, RegistryEventKind.PolicyViolation);
        var violation = Assert.Single(violations);
        Assert.Equal(image.Digest, violation.Digest.ToString());
        Assert.Equal("warn/app", violation.Repository?.Value);
        Assert.StartsWith("pull warned by policy warn v1 (warn)", violation.Detail, StringComparison.Ordinal);

        var test = await TestAsync(access.AdminApi, "warn/app", "1");
        Assert.True(test["allowed"]!.GetValue<bool>());
        Assert.True(test["violated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task PolicyChange_IsReflectedInTheNextDecision_AndPolicyChangedEventsAreAppended()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        await AccessServer.PushImageAsync(registry, "change/app", "1");
        var keys = new Dictionary<string, LocalSigner> { ["dev"] = LocalSigner.GenerateEcdsaP256() };
        await PutPolicyOkAsync(access.AdminApi, Policy("change", "change/**", "enforce", keys, RequireDev));
        using (var first = await registry.GetAsync("/v2/change/app/manifests/1")) Assert.Equal(HttpStatusCode.Forbidden, first.StatusCode);

        await PutPolicyOkAsync(access.AdminApi, Policy("change", "change/**", "off", keys, RequireDev), "switch off for the migration");
        using (var second = await registry.GetAsync("/v2/change/app/manifests/1")) Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        await PutPolicyOkAsync(access.AdminApi, Policy("change", "change/**", "enforce", keys, RequireDev));
        using (var third = await registry.GetAsync("/v2/change/app/manifests/1")) Assert.Equal(HttpStatusCode.Forbidden, third.StatusCode);

        using (var deleted = await access.AdminApi.DeleteAsync("/api/v1/policies/change?comment=gone"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var fourth = await registry.GetAsync("/v2/change/app/manifests/1")) Assert.Equal(HttpStatusCode.OK, fourth.StatusCode);

        var changed = await EventsAsync(access.Server, RegistryEventKind.PolicyChanged);
        Assert.Equal(["change v1 created", "change v2 updated", "change v3 updated", "change v4 deleted"],
            changed.Select(e => string.Join(' ', e.Detail!.Split(' ').Take(3))));
        Assert.All(changed, e => Assert.Equal("admin", e.Principal));
    }

    [Fact]
    public async Task DryRun_SaysWhatEnforcementThenDoes()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var signed = await AccessServer.PushImageAsync(registry, "dry/signed", "1");
        var unsigned = await AccessServer.PushImageAsync(registry, "dry/unsigned", "1");
        var outside = await AccessServer.PushImageAsync(registry, "wet/unsigned", "1");
        await SignCosignAsync(registry, access.Server.HostPort, "dry/signed", signed.Digest, dev);
        var document = Policy("dry", "dry/**", "enforce", new Dictionary<string, LocalSigner> { ["dev"] = dev }, RequireDev);

        using var response = await access.AdminApi.PostAsJsonAsync("/api/v1/policies/dry-run", new JsonObject { ["document"] = document.DeepClone() });
        var run = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "dry run");
        Assert.Equal(2, run["evaluated"]!.GetValue<int>());
        Assert.Equal(1, run["denied"]!.GetValue<int>());
        var images = run["images"]!.AsArray();
        Assert.DoesNotContain(images, i => i!["repository"]!.GetValue<string>() == outside.Repo);
        var wouldDeny = images.Where(i => !i!["allowed"]!.GetValue<bool>()).Select(i => i!["repository"]!.GetValue<string>()).ToList();
        Assert.Equal(["dry/unsigned"], wouldDeny);
        Assert.NotEmpty(images.Single(i => i!["repository"]!.GetValue<string>() == "dry/unsigned")!["violations"]!.AsArray());
        using (var none = await access.AdminApi.GetAsync("/api/v1/policies/dry")) Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);

        await PutPolicyOkAsync(access.AdminApi, document);
        foreach (var image in new[] { signed, unsigned })
        {
            using var pull = await registry.GetAsync($"/v2/{image.Repo}/manifests/{image.Digest}");
            Assert.Equal(wouldDeny.Contains(image.Repo) ? HttpStatusCode.Forbidden : HttpStatusCode.OK, pull.StatusCode);
        }
        _ = unsigned;
    }
}
