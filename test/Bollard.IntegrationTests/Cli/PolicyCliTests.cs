using System.Net;
using System.Text.Json;

namespace Bollard.IntegrationTests.Cli;

/// <summary><c>bollard immutability</c> and <c>bollard retention</c> against a real server with access control on.</summary>
public sealed class PolicyCliTests
{
    [Fact]
    public async Task Immutability_And_Retention_Commands_ManageRulesAndPolicies_AndRunRetention()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        foreach (string tag in new[] { "v1", "t1", "t2", "t3" }) await AccessServer.PushImageAsync(registry, "cli/app", tag);
        using var cli = new CliRunner();
        var env = new Dictionary<string, string?>
        {
            ["BOLLARD_SERVER"] = access.Server.BaseAddress.ToString(), ["BOLLARD_USER"] = "admin", ["BOLLARD_PASSWORD"] = AccessServer.AdminPassword,
        };
        Task<CliResult> Run(params string[] args) => cli.RunWithAsync(null, env, args);

        var add = await Run("immutability", "add", "cli/**", "v*");
        CliRunner.Succeeded(add);
        Assert.Contains("Added rule 1: tags v* in cli/** are immutable.", add.Stdout, StringComparison.Ordinal);
        var list = await Run("immutability", "list");
        CliRunner.Succeeded(list);
        Assert.Contains("cli/**", list.Stdout, StringComparison.Ordinal);

        var bad = await Run("retention", "add", "cli/**", "--keep-last", "1", "--order", "sideways");
        Assert.Equal(2, bad.ExitCode);
        var policy = await Run("retention", "add", "cli/**", "--keep-last", "1", "--keep", "t3", "--untagged-after", "30d");
        CliRunner.Succeeded(policy);
        Assert.Contains("Added retention policy 1 for cli/**", policy.Stdout, StringComparison.Ordinal);
        var policies = await Run("retention", "list", "--json");
        CliRunner.Succeeded(policies);
        using (var doc = JsonDocument.Parse(policies.Stdout))
            Assert.Equal("30d", doc.RootElement[0].GetProperty("untaggedAfter").GetString());

        // Candidates v1, t1, t2 (t3 kept by pattern); the newest, t2, stays; v1 is immutable: skipped.
        var dry = await Run("retention", "run", "--dry-run");
        CliRunner.Succeeded(dry);
        Assert.Contains("would remove  cli/app:t1", dry.Stdout, StringComparison.Ordinal);
        Assert.Contains("skipped       cli/app:v1", dry.Stdout, StringComparison.Ordinal);
        Assert.Contains("Dry run: would remove 1 tags, skipped 1 protected tags", dry.Stdout, StringComparison.Ordinal);
        var run = await Run("retention", "run");
        CliRunner.Succeeded(run);
        Assert.Contains("Removed 1 tags, skipped 1 protected tags", run.Stdout, StringComparison.Ordinal);
        using (var tags = await registry.GetAsync("/v2/cli/app/tags/list"))
            Assert.Equal("""{"name":"cli/app","tags":["t2","t3","v1"]}""", await tags.Content.ReadAsStringAsync());

        CliRunner.Succeeded(await Run("retention", "remove", "1"));
        CliRunner.Succeeded(await Run("immutability", "remove", "1"));
        var gone = await Run("immutability", "remove", "1");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("no immutability rule 1", gone.Stderr, StringComparison.Ordinal);
        using var rules = await access.AdminApi.GetAsync("/api/v1/immutability");
        Assert.Equal(HttpStatusCode.OK, rules.StatusCode);
        Assert.Equal("[]", await rules.Content.ReadAsStringAsync());
    }
}
