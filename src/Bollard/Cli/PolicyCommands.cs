using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary>
/// <c>bollard policy list|get|set|delete|history|dry-run|test</c>: trust policies on a server (docs/trust.md). <c>test</c>
/// is the CI enforcement point: the server's decision for an image with every reason; exit code 0 when allowed (also with
/// warn-mode warnings), 1 when denied or when the test could not be made (the message says which), 2 for bad usage.
/// </summary>
internal static class PolicyCommands
{
    public const int DeniedExitCode = 1;

    public static Command Create() => BollardCli.Group("policy", "Trust policies: required signatures, vulnerability and SBOM rules per namespace; test an image against them",
        List(), Get(), Set(), Delete(), History(), DryRun(), Test());

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

    private static Command DryRun()
    {
        var file = new Argument<string>("FILE") { Description = "The policy document, JSON or YAML (not stored)" };
        var output = OutputOption();
        return BollardCli.Leaf("dry-run", "Evaluate a policy file, without storing it, against every image of its namespace: which would be denied and why", async ctx =>
        {
            var document = PolicyDocumentFile.Read(ctx.Parse.GetValue(file)!);
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/policies/dry-run",
                ManagementClient.Json(new PolicyDryRunRequest(document), PolicyApiJson.Default.PolicyDryRunRequest), ctx.Cancellation).ConfigureAwait(false);
            var run = client.Parse(body, PolicyApiJson.Default.DryRunView);
            Print(ctx, output, body, () =>
            {
                Output.Table(["IMAGE", "TAGS", "RESULT", "REASONS"], run.Images.Select(i => new[]
                {
                    $"{i.Repository}@{i.Digest}", i.Tags.Count == 0 ? "-" : string.Join(",", i.Tags),
                    !i.Allowed ? "would deny" : i.Violated ? "would warn" : "passes", string.Join("; ", i.Violations),
                }), $"No images in {run.Namespace}.");
                Console.Out.WriteLine($"Policy {run.Policy} ({run.Namespace}, mode {run.Mode}): {run.Evaluated} images, {run.Denied} would be denied, {run.Warned} warned"
                    + (run.NotEvaluated > 0 ? $", {run.NotEvaluated} not evaluated (over the limit)." : "."));
            });
            return 0;
        }, file, output);
    }

    private static Command Test()
    {
        var image = new Argument<string>("IMAGE") { Description = "NAME:TAG, NAME@DIGEST, HOST/NAME:TAG or docker://HOST/NAME:TAG (HOST must be the server)" };
        var output = OutputOption();
        return BollardCli.Leaf("test", "The server's policy decision for an image, with every reason; exit code 1 when denied (warn mode: 0 with the warnings)", async ctx =>
        {
            string server = ctx.Server;
            var (repository, reference) = ImageArgument(ctx.Parse.GetValue(image)!, server);
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/policies/test",
                ManagementClient.Json(new PolicyTestRequest(repository, reference), PolicyApiJson.Default.PolicyTestRequest), ctx.Cancellation).ConfigureAwait(false);
            var decision = client.Parse(body, PolicyApiJson.Default.PolicyDecisionView);
            Print(ctx, output, body, () => Describe(decision));
            return decision.Allowed ? 0 : DeniedExitCode;
        }, image, output);
    }

    /// <summary>The decision as a person reads it: the verdict, each violation, each signature and why it did or did not count, the advisories, the notes.</summary>
    private static void Describe(PolicyDecisionView d)
    {
        var w = Console.Out;
        string image = $"{d.Repository}{(d.Reference is { } r && !r.Contains(':', StringComparison.Ordinal) ? ":" + r : "")}@{d.Digest}";
        if (d.Policy is null)
        {
            w.WriteLine($"ALLOWED {image}: no trust policy applies.");
            return;
        }
        string verdict = !d.Allowed ? "DENIED" : d.Violated ? "ALLOWED with warnings" : "ALLOWED";
        w.WriteLine($"{verdict} {image}: policy {d.Policy} v{d.PolicyVersion} (mode {d.Mode}){(d.Cached ? ", cached decision" : "")}");
        if (d.Violations.Count > 0)
        {
            w.WriteLine(d.Allowed ? "Warnings:" : "Violations:");
            foreach (string v in d.Violations) w.WriteLine($"  - {v}");
        }
        if (d.Signatures.Count > 0)
        {
            w.WriteLine("Signatures found:");
            foreach (var s in d.Signatures)
            {
                var trusted = s.TrustedBy.ToList();
                string who = s.Signer is { } signer ? signer.CertificateSubject ?? (signer.SubjectAlternativeNames.Count > 0 ? string.Join(",", signer.SubjectAlternativeNames) : null)
                    ?? (signer.KeyFingerprint is { } fp ? $"key {fp[..Math.Min(16, fp.Length)]}" : "unknown signer") : "unreadable";
                w.WriteLine($"  - {s.Format} {s.SignatureManifest}[{s.LayerIndex}] by {who}: {(trusted.Count > 0 ? "counts for " + string.Join(", ", trusted) : "does not count")}");
                foreach (string p in s.Problems) w.WriteLine($"      problem: {p}");
                foreach (var a in s.Signers) w.WriteLine($"      {a.Signer}: {(a.Trusted ? "trusted" : "not trusted")}: {a.Reason}");
            }
        }
        else w.WriteLine("Signatures found: none");
        if (d.Advisories.Count > 0) w.WriteLine("Advisories that count: " + string.Join(", ", d.Advisories));
        if (d.Notes.Count > 0)
        {
            w.WriteLine("Notes:");
            foreach (string n in d.Notes) w.WriteLine($"  - {n}");
        }
    }

    /// <summary>Splits IMAGE into repository and tag or digest; a registry host in it must be the server's.</summary>
    internal static (string Repository, string Reference) ImageArgument(string text, string server)
    {
        string t = text.StartsWith("docker://", StringComparison.Ordinal) ? text["docker://".Length..] : text;
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            string first = t[..slash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                string serverHost = ServerUrl.DockerHost(server);
                if (!string.Equals(first, serverHost, StringComparison.OrdinalIgnoreCase))
                    throw CliException.Usage($"IMAGE names registry {first}, but the server is {serverHost}: give --server for it, or leave the host out");
                t = t[(slash + 1)..];
            }
        }
        string repository, reference;
        int at = t.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0) (repository, reference) = (t[..at], t[(at + 1)..]);
        else
        {
            int colon = t.LastIndexOf(':');
            (repository, reference) = colon > t.LastIndexOf('/') && colon >= 0 ? (t[..colon], t[(colon + 1)..]) : (t, "latest");
        }
        if (repository.Length == 0 || reference.Length == 0) throw CliException.Usage($"IMAGE '{text}' is not NAME:TAG or NAME@DIGEST");
        return (repository, reference);
    }

    private static string Name(string? name) =>
        name is { Length: > 0 and <= 63 } n && n.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-')
            ? n : throw CliException.Usage($"'{name}' is not a policy name (a-z, 0-9, '.', '_', '-')");
}
