using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary>
/// <c>bollard policy list|get|set|delete|history</c>: trust policies on a server (docs/trust.md).
/// </summary>
internal static class PolicyCommands
{
    public static Command Create() => BollardCli.Group("policy", "Trust policies: required signatures, vulnerability and SBOM rules per namespace; test an image against them",
        List(), Get(), Set(), Delete(), History());

    private static Option<string?> OutputOption() =>
        new("--output", "-o") { Description = "text (default) or json (the same as --json)", HelpName = "text|json" };

    private static bool Json(CliContext ctx, Option<string?> output) => ctx.Parse.GetValue(output) switch
    {
        null or "text" => ctx.Json,
        "json" => true,
        var other => throw CliException.Usage($"--output '{other}' is not text or json"),
    };

    private static void Print(CliContext ctx, Option<string?> output, string json, Action human)
    {
        if (Json(ctx, output)) Output.WriteJson(json);
        else human();
    }

    private static Command List()
    {
        var output = OutputOption();
        return BollardCli.Leaf("list", "List trust policies", async ctx =>
        {
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, "/api/v1/policies", null, ctx.Cancellation).ConfigureAwait(false);
            var policies = client.Parse(body, PolicyApiJson.Default.ListPolicyView);
            Print(ctx, output, body, () => Output.Table(["NAME", "VERSION", "NAMESPACE", "MODE", "LOCKED", "CHANGED BY", "CHANGED"],
                policies.Select(p => new[]
                {
                    p.Name, p.Version.ToString(CultureInfo.InvariantCulture), p.Namespace, p.Mode, p.Locked ? "yes" : "no", p.ChangedBy, Output.Time(p.ChangedAt),
                }), "No trust policies."));
            return 0;
        }, output);
    }

    private static Command Get()
    {
        var name = new Argument<string>("NAME") { Description = "The policy's name" };
        var version = new Option<long?>("--version") { Description = "An older version (see 'bollard policy history')", HelpName = "N" };
        var output = OutputOption();
        return BollardCli.Leaf("get", "Print a trust policy's document (JSON), or with --output json its version record", async ctx =>
        {
            string n = Name(ctx.Parse.GetValue(name));
            long? v = ctx.Parse.GetValue(version);
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, $"/api/v1/policies/{n}{(v is null ? "" : $"?version={v}")}", null, ctx.Cancellation).ConfigureAwait(false);
            var policy = client.Parse(body, PolicyApiJson.Default.PolicyView);
            Print(ctx, output, body, () =>
            {
                Console.Out.WriteLine($"# {policy.Name} v{policy.Version}: {policy.Namespace} {policy.Mode}{(policy.Locked ? ", locked by an admin" : "")}; changed by {policy.ChangedBy} {Output.Time(policy.ChangedAt)}");
                if (policy.Document is { } d) Output.WriteJson(d.GetRawText());
            });
            return 0;
        }, name, version, output);
    }

    private static Command Set()
    {
        var file = new Argument<string>("FILE") { Description = "The policy document, JSON or YAML; its 'name' names the policy" };
        var comment = new Option<string?>("--comment", "-m") { Description = "Why (kept in the policy's history)", HelpName = "TEXT" };
        var locked = new Option<bool?>("--locked") { Description = "Admins: whether maintainers may only tighten it (default true for an admin's change)", HelpName = "true|false" };
        var output = OutputOption();
        return BollardCli.Leaf("set", "Create or replace a trust policy from a file (a new version)", async ctx =>
        {
            var document = PolicyDocumentFile.Read(ctx.Parse.GetValue(file)!);
            string n = document.ValueKind == JsonValueKind.Object && document.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String
                ? Name(nm.GetString()) : throw CliException.Usage("the policy document has no 'name'");
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Put, $"/api/v1/policies/{n}",
                ManagementClient.Json(new PolicyPutRequest(document, ctx.Parse.GetValue(comment), ctx.Parse.GetValue(locked)), PolicyApiJson.Default.PolicyPutRequest),
                ctx.Cancellation).ConfigureAwait(false);
            var policy = client.Parse(body, PolicyApiJson.Default.PolicyView);
            Print(ctx, output, body, () => Console.Out.WriteLine(
                $"Stored policy {policy.Name} v{policy.Version}: {policy.Namespace}, mode {policy.Mode}{(policy.Locked ? ", locked (maintainers may only tighten it)" : "")}."));
            return 0;
        }, file, comment, locked, output);
    }

    private static Command Delete()
    {
        var name = new Argument<string>("NAME") { Description = "The policy's name" };
        var comment = new Option<string?>("--comment", "-m") { Description = "Why (kept in the policy's history)", HelpName = "TEXT" };
        return BollardCli.Leaf("delete", "Delete a trust policy (its history stays)", async ctx =>
        {
            string n = Name(ctx.Parse.GetValue(name));
            string? c = ctx.Parse.GetValue(comment);
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{n}{(c is null ? "" : "?comment=" + Uri.EscapeDataString(c))}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Deleted policy {n}.");
            return 0;
        }, name, comment);
    }

    private static Command History()
    {
        var name = new Argument<string>("NAME") { Description = "The policy's name" };
        var output = OutputOption();
        return BollardCli.Leaf("history", "Every version of a trust policy: who changed what, when", async ctx =>
        {
            string n = Name(ctx.Parse.GetValue(name));
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, $"/api/v1/policies/{n}/history", null, ctx.Cancellation).ConfigureAwait(false);
            var versions = client.Parse(body, PolicyApiJson.Default.ListPolicyView);
            Print(ctx, output, body, () => Output.Table(["VERSION", "CHANGED", "BY", "CHANGE", "NAMESPACE", "MODE", "LOCKED", "COMMENT"],
                versions.Select((v, i) => new[]
                {
                    v.Version.ToString(CultureInfo.InvariantCulture), Output.Time(v.ChangedAt), v.ChangedBy,
                    v.Deleted ? "deleted" : i == versions.Count - 1 || versions[i + 1].Deleted ? "created" : "changed",
                    v.Namespace, v.Deleted ? "-" : v.Mode, v.Locked ? "yes" : "no", v.Comment ?? "-",
                }), "No versions."));
            return 0;
        }, name, output);
    }

    private static string Name(string? name) =>
        name is { Length: > 0 and <= 63 } n && n.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-')
            ? n : throw CliException.Usage($"'{name}' is not a policy name (a-z, 0-9, '.', '_', '-')");
}
