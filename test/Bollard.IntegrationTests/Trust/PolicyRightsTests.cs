using System.Net;
using System.Text.Json.Nodes;
using Bollard.Trust.Keys;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// Who may change a trust policy (docs/trust.md, "Who may change a policy"): admins everything; a namespace's
/// maintainers only policies inside a namespace they maintain; nobody else. An admin's policy is a floor a maintainer
/// cannot lower (mode, namespace, rules; not deleted, not side-stepped by a second policy): the Harbor CVE-2024-22278 class.
/// Every change is a version in the history, with who and when, and audited.
/// </summary>
public sealed class PolicyRightsTests
{
    private static readonly LocalSigner Dev = LocalSigner.GenerateEcdsaP256();
    private static readonly Dictionary<string, LocalSigner> Keys = new() { ["dev"] = Dev };

    private static async Task<(HttpStatusCode Status, string Message)> RefusalAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text)?["error"]?["message"]?.GetValue<string>() ?? text : "");
    }

    [Fact]
    public async Task Maintainer_ManagesOwnNamespaceOnly_OthersRefused()
    {
        await using var access = await AccessServer.StartAsync();
        var maintainer = await access.CreateUserWithRoleAsync("mia", "maintainer", "team-a/**");
        var developer = await access.CreateUserWithRoleAsync("dave", "developer", "team-a/**");
        var mia = access.Api(maintainer);

        await PutPolicyOkAsync(mia, Policy("team-a", "team-a/**", "warn", Keys, JsonValue.Create("dev")), "first cut");
        await PutPolicyOkAsync(mia, Policy("team-a-app", "team-a/app", "enforce", Keys, JsonValue.Create("dev")));

        var (status, message) = await RefusalAsync(PutPolicyAsync(mia, Policy("team-b", "team-b/**", "off")));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("maintainer role on a namespace covering 'team-b/**'", message, StringComparison.Ordinal);
        (status, _) = await RefusalAsync(PutPolicyAsync(mia, Policy("everything", "**", "off")));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        // Moving one's own policy out of one's namespace is refused too.
        (status, _) = await RefusalAsync(PutPolicyAsync(mia, Policy("team-a-app", "team-b/app", "off")));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        (status, _) = await RefusalAsync(PutPolicyAsync(access.Api(developer), Policy("team-a-dev", "team-a/dev", "off")));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        // An admin's registry-wide policy (even unlocked) cannot be replaced for team-a by a team-a maintainer's own.
        await PutPolicyOkAsync(access.AdminApi, Policy("everywhere", "**", "enforce", Keys, JsonValue.Create("dev")), locked: false);
        (status, message) = await RefusalAsync(PutPolicyAsync(mia, Policy("team-a-web", "team-a/web", "off")));
        Assert.Contains("would replace policy 'everywhere' ('**')", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        (status, _) = await RefusalAsync(PutPolicyAsync(access.Raw(), Policy("anon", "team-a/anon", "off")));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        // An admin's policy in team-b is not the maintainer's to delete either.
        await PutPolicyOkAsync(access.AdminApi, Policy("team-b", "team-b/**", "enforce", Keys, JsonValue.Create("dev")));
        (status, _) = await RefusalAsync(mia.DeleteAsync("/api/v1/policies/team-b"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        // Only admins lock.
        (status, message) = await RefusalAsync(PutPolicyAsync(mia, Policy("team-a", "team-a/**", "enforce", Keys, JsonValue.Create("dev")), locked: true));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("only an admin may lock", message, StringComparison.Ordinal);

        // Bad documents are 400 with every reason, for everyone.
        (status, message) = await RefusalAsync(PutPolicyAsync(mia, new JsonObject { ["name"] = "team-a", ["namespace"] = "team-a/**", ["mode"] = "sometimes", ["requires"] = "dev" }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("invalid trust policy", message, StringComparison.Ordinal);

        using (var deleted = await mia.DeleteAsync("/api/v1/policies/team-a-app")) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await access.AssertAuditedAsync("mia", "policy.create", "success");
        await access.AssertAuditedAsync("mia", "policy.delete", "success");
        await access.AssertAuditedAsync("mia", "access.denied", "denied");
    }

    [Fact]
    public async Task Maintainer_CannotLoosenAnAdminsEnforcingPolicy_OnlyTighten()
    {
        await using var access = await AccessServer.StartAsync();
        var maintainer = await access.CreateUserWithRoleAsync("max", "maintainer", "shop/**");
        var max = access.Api(maintainer);
        var floor = Policy("shop-prod", "shop/prod/**", "enforce", Keys, JsonValue.Create("dev"),
            new JsonObject { ["description"] = "release gate", ["vulnerabilities"] = new JsonObject { ["maxSeverity"] = "high" } });
        var stored = await PutPolicyOkAsync(access.AdminApi, floor, "set by security");
        Assert.True(stored["locked"]!.GetValue<bool>());

        var attempts = new (string What, JsonObject Document, string Reason)[]
        {
            ("warn", Policy("shop-prod", "shop/prod/**", "warn", Keys, JsonValue.Create("dev"), new JsonObject { ["description"] = "release gate", ["vulnerabilities"] = new JsonObject { ["maxSeverity"] = "high" } }), "lower its mode from enforce to warn"),
            ("off", Policy("shop-prod", "shop/prod/**", "off"), "lower its mode from enforce to off"),
            ("no requirement", Policy("shop-prod", "shop/prod/**", "enforce", Keys, null, new JsonObject { ["vulnerabilities"] = new JsonObject { ["maxSeverity"] = "high" } }), "change its require"),
            ("severity", Policy("shop-prod", "shop/prod/**", "enforce", Keys, JsonValue.Create("dev"), new JsonObject { ["vulnerabilities"] = new JsonObject { ["maxSeverity"] = "critical" } }), "change its vulnerabilities"),
            ("narrower", Policy("shop-prod", "shop/prod/web", "enforce", Keys, JsonValue.Create("dev"), new JsonObject { ["vulnerabilities"] = new JsonObject { ["maxSeverity"] = "high" } }), "move it"),
        };
        foreach (var (what, document, reason) in attempts)
        {
            var (status, message) = await RefusalAsync(PutPolicyAsync(max, document));
            Assert.True(status == HttpStatusCode.Forbidden, $"{what}: {(int)status} {message}");
            Assert.Contains("locked by an admin (admin)", message, StringComparison.Ordinal);
            Assert.Contains(reason, message, StringComparison.Ordinal);
        }
        var (deleteStatus, deleteMessage) = await RefusalAsync(max.DeleteAsync("/api/v1/policies/shop-prod"));
        Assert.Equal(HttpStatusCode.Forbidden, deleteStatus);
        Assert.Contains("only an admin may delete it", deleteMessage, StringComparison.Ordinal);
        // A second, looser policy for the same repositories is refused as well.
        var (shadowStatus, shadowMessage) = await RefusalAsync(PutPolicyAsync(max, Policy("shop-web", "shop/prod/web", "off")));
        Assert.Equal(HttpStatusCode.Forbidden, shadowStatus);
        Assert.Contains("would replace policy 'shop-prod' ('shop/prod/**') for the repositories both match, and 'shop-prod' is locked by an admin", shadowMessage, StringComparison.Ordinal);
        // A broader policy of the maintainer's own does not replace the admin's for its repositories: allowed.
        await PutPolicyOkAsync(max, Policy("shop-all", "shop/**", "warn"));

        // What a maintainer may do: the description; and what stays is the admin's floor.
        var described = await PutPolicyOkAsync(max, Policy("shop-prod", "shop/prod/**", "enforce", Keys, JsonValue.Create("dev"),
            new JsonObject { ["description"] = "release gate (owner: shop team)", ["vulnerabilities"] = new JsonObject { ["maxSeverity"] = "high" } }), "describe the owner");
        Assert.True(described["locked"]!.GetValue<bool>());
        Assert.Equal("max", described["changedBy"]!.GetValue<string>());

        // The admin unlocks it: then the maintainer may change it freely within the namespace.
        await PutPolicyOkAsync(access.AdminApi, floor, "hand over to the shop team", locked: false);
        await PutPolicyOkAsync(max, Policy("shop-prod", "shop/prod/**", "warn", Keys, JsonValue.Create("dev")), "warn while migrating");

        using var history = await max.GetAsync("/api/v1/policies/shop-prod/history");
        var versions = (await AccessServer.ExpectAsync(history, HttpStatusCode.OK, "history")).AsArray();
        Assert.Equal([4L, 3L, 2L, 1L], versions.Select(v => v!["version"]!.GetValue<long>()));
        Assert.Equal(["max", "admin", "max", "admin"], versions.Select(v => v!["changedBy"]!.GetValue<string>()));
        Assert.Equal(["warn while migrating", "hand over to the shop team", "describe the owner", "set by security"], versions.Select(v => v!["comment"]!.GetValue<string>()));
        Assert.Equal([false, false, true, true], versions.Select(v => v!["locked"]!.GetValue<bool>()));
        Assert.Equal("enforce", versions[3]!["document"]!["mode"]!.GetValue<string>());
        await access.AssertAuditedAsync("max", "access.denied", "denied", where: e => e.Detail?.Contains("lower its mode", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task History_KeepsEveryVersion_DeleteIsATombstone_NumbersNeverReused()
    {
        await using var access = await AccessServer.StartAsync();
        await PutPolicyOkAsync(access.AdminApi, Policy("hist", "hist/**", "warn"), "v1");
        await PutPolicyOkAsync(access.AdminApi, Policy("hist", "hist/**", "enforce", Keys, JsonValue.Create("dev")), "v2");
        using (var deleted = await access.AdminApi.DeleteAsync("/api/v1/policies/hist?comment=retired")) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var gone = await access.AdminApi.GetAsync("/api/v1/policies/hist")) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using (var list = await access.AdminApi.GetAsync("/api/v1/policies"))
            Assert.DoesNotContain("\"hist\"", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var again = await PutPolicyOkAsync(access.AdminApi, Policy("hist", "hist/**", "warn"), "back");
        Assert.Equal(4, again["version"]!.GetValue<long>());

        using (var old = await access.AdminApi.GetAsync("/api/v1/policies/hist?version=2"))
        {
            var v2 = await AccessServer.ExpectAsync(old, HttpStatusCode.OK, "v2");
            Assert.Equal("enforce", v2["document"]!["mode"]!.GetValue<string>());
        }
        using var history = await access.AdminApi.GetAsync("/api/v1/policies/hist/history");
        var versions = (await AccessServer.ExpectAsync(history, HttpStatusCode.OK, "history")).AsArray();
        Assert.Equal([false, true, false, false], versions.Select(v => v!["deleted"]!.GetValue<bool>()));
        Assert.Null(versions[1]!["document"]);
        Assert.Equal("retired", versions[1]!["comment"]!.GetValue<string>());
        await access.AssertAuditedAsync("admin", "policy.update", "success");
    }
}
