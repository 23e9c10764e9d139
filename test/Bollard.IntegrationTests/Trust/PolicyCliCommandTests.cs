using System.Net;
using System.Text.Json;
using Bollard.IntegrationTests.Cli;
using Bollard.Trust.Keys;
using static Bollard.IntegrationTests.Trust.PolicyTestSupport;

namespace Bollard.IntegrationTests.Trust;

/// <summary><c>bollard policy ...</c> (the process, against a real server with access control on): set from YAML and JSON, list, get, history, delete.</summary>
public sealed class PolicyCliCommandTests
{
    [Fact]
    public async Task PolicyCommands_SetFromYamlAndJson_ListGetHistoryDelete()
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

            // Warn mode: exit 0, and the warnings are printed.
            string jsonFile = Path.Combine(dir, "gate.json");
            var warnDoc = Policy("cli-gate", "cli-gate/**", "warn", new Dictionary<string, LocalSigner> { ["dev"] = dev }, System.Text.Json.Nodes.JsonValue.Create("dev"));
            await File.WriteAllTextAsync(jsonFile, warnDoc.ToJsonString());
            CliRunner.Succeeded(await Run("policy", "set", jsonFile, "--comment", "warn only"));
            var history = await Run("policy", "history", "cli-gate");
            CliRunner.Succeeded(history);
            Assert.Contains("warn only", history.Stdout, StringComparison.Ordinal);
            Assert.Contains("first version", history.Stdout, StringComparison.Ordinal);
            Assert.Contains("created", history.Stdout, StringComparison.Ordinal);

            var get = await Run("policy", "get", "cli-gate", "--version", "1");
            CliRunner.Succeeded(get);
            Assert.Contains("\"mode\": \"enforce\"", get.Stdout, StringComparison.Ordinal);

            var bad = await Run("policy", "set", Path.Combine(dir, "missing.yaml"));
            Assert.Equal(2, bad.ExitCode);
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
