using System.Net;
using System.Text.Json;
using Bollard.IntegrationTests.Cli;
using Bollard.Trust.Keys;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary><c>bollard policy ...</c> (the process, against a real server with access control on): set from YAML and JSON, list, get, history, dry-run, test with its exit codes, delete.</summary>
public sealed class PolicyCliCommandTests
{
    [Fact]
    public async Task PolicyCommands_SetFromYaml_TestExitCodes_DryRun_History()
    {
        await using var access = await AccessServer.StartAsync();
        var registry = access.Registry(access.Admin);
        var dev = LocalSigner.GenerateEcdsaP256();
        var unsigned = await AccessServer.PushImageAsync(registry, "cli-gate/app", "1");
        var signed = await AccessServer.PushImageAsync(registry, "cli-gate/app", "2");
        await SignCosignAsync(registry, access.Server.HostPort, "cli-gate/app", signed.Digest, dev);
        using var cli = new CliRunner();
        var env = new Dictionary<string, string?>
        {
            ["BOLLARD_SERVER"] = access.Server.BaseAddress.ToString(), ["BOLLARD_USER"] = "admin", ["BOLLARD_PASSWORD"] = AccessServer.AdminPassword,
        };
        Task<CliResult> Run(params string[] args) => cli.RunWithAsync(null, env, args);
        string dir = TempDir.Create("bollard-policy-cli-");
        try
        {
            string pem = string.Join("\n", dev.PublicKeyPem.TrimEnd().Split('\n').Select(l => "      " + l));
            string yaml = Path.Combine(dir, "gate.yaml");
            await File.WriteAllTextAsync(yaml, $"""
                # The CI gate for cli-gate
                name: cli-gate
                namespace: "cli-gate/**"
                mode: enforce
                signers:
                  dev:
                    key: |
                {pem}
                require: dev
                """);
            var set = await Run("policy", "set", yaml, "-m", "first version");
            CliRunner.Succeeded(set);
            Assert.Contains("Stored policy cli-gate v1: cli-gate/**, mode enforce, locked", set.Stdout, StringComparison.Ordinal);

            var list = await Run("policy", "list");
            CliRunner.Succeeded(list);
            Assert.Contains("cli-gate", list.Stdout, StringComparison.Ordinal);

            var dry = await Run("policy", "dry-run", yaml);
            CliRunner.Succeeded(dry);
            Assert.Contains("1 would be denied", dry.Stdout, StringComparison.Ordinal);
            Assert.Contains($"cli-gate/app@{unsigned.Digest}", dry.Stdout, StringComparison.Ordinal);

            var denied = await Run("policy", "test", $"{access.Server.HostPort}/cli-gate/app:1");
            Assert.True(denied.ExitCode == 1, denied.ToString());
            Assert.StartsWith("DENIED cli-gate/app:1@" + unsigned.Digest, denied.Stdout, StringComparison.Ordinal);
            Assert.Contains("Violations:", denied.Stdout, StringComparison.Ordinal);
            Assert.Contains("Signatures found: none", denied.Stdout, StringComparison.Ordinal);

            var allowed = await Run("policy", "test", $"docker://{access.Server.HostPort}/cli-gate/app:2");
            Assert.True(allowed.ExitCode == 0, allowed.ToString());
            Assert.StartsWith("ALLOWED cli-gate/app:2@" + signed.Digest, allowed.Stdout, StringComparison.Ordinal);
            Assert.Contains("counts for dev", allowed.Stdout, StringComparison.Ordinal);

            var json = await Run("policy", "test", "cli-gate/app@" + unsigned.Digest, "--output", "json");
            Assert.Equal(1, json.ExitCode);
            using (var doc = JsonDocument.Parse(json.Stdout))
            {
                Assert.False(doc.RootElement.GetProperty("allowed").GetBoolean());
                Assert.NotEqual(0, doc.RootElement.GetProperty("violations").GetArrayLength());
            }

            // Warn mode: exit 0, and the warnings are printed.
            string jsonFile = Path.Combine(dir, "gate.json");
            var warnDoc = Policy("cli-gate", "cli-gate/**", "warn", new Dictionary<string, LocalSigner> { ["dev"] = dev }, System.Text.Json.Nodes.JsonValue.Create("dev"));
            await File.WriteAllTextAsync(jsonFile, warnDoc.ToJsonString());
            CliRunner.Succeeded(await Run("policy", "set", jsonFile, "--comment", "warn only"));
            var warned = await Run("policy", "test", "cli-gate/app:1");
            Assert.True(warned.ExitCode == 0, warned.ToString());
            Assert.StartsWith("ALLOWED with warnings", warned.Stdout, StringComparison.Ordinal);
            Assert.Contains("Warnings:", warned.Stdout, StringComparison.Ordinal);

            var history = await Run("policy", "history", "cli-gate");
            CliRunner.Succeeded(history);
            Assert.Contains("warn only", history.Stdout, StringComparison.Ordinal);
            Assert.Contains("first version", history.Stdout, StringComparison.Ordinal);
            Assert.Contains("created", history.Stdout, StringComparison.Ordinal);

            var get = await Run("policy", "get", "cli-gate", "--version", "1");
            CliRunner.Succeeded(get);
            Assert.Contains("\"mode\": \"enforce\"", get.Stdout, StringComparison.Ordinal);

            var usage = await Run("policy", "test", "other.example.com/cli-gate/app:1");
            Assert.Equal(2, usage.ExitCode);
            var bad = await Run("policy", "set", Path.Combine(dir, "missing.yaml"));
            Assert.Equal(2, bad.ExitCode);
            var notFound = await Run("policy", "test", "cli-gate/app:nope");
            Assert.Equal(1, notFound.ExitCode);
            Assert.Contains("no manifest", notFound.Stderr, StringComparison.Ordinal);

            CliRunner.Succeeded(await Run("policy", "delete", "cli-gate", "-m", "done"));
            using var gone = await access.AdminApi.GetAsync("/api/v1/policies/cli-gate");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        finally
        {
            TempDir.Delete(dir);
        }
    }
}
