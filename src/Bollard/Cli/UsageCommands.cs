using System.CommandLine;
using Bollard.Core.Usage;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard usage [REPOSITORY]</c>: storage usage per namespace, or of one repository.</summary>
internal static class UsageCommands
{
    public static Command Create()
    {
        var repository = new Argument<string?>("REPOSITORY") { Description = "Show one repository (its usage and the quotas that apply) instead of every namespace", Arity = ArgumentArity.ZeroOrOne };
        return BollardCli.Leaf("usage", "Storage usage: total bytes (shared layers included) and unique bytes (what deleting would free), per namespace or for one repository", async ctx =>
        {
            if (ctx.Parse.GetValue(repository) is { } name) return await RepositoryCommands.ShowAsync(ctx, name).ConfigureAwait(false);
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, "/api/v1/usage", null, ctx.Cancellation).ConfigureAwait(false);
            var usage = client.Parse(body, UsageJson.Default.UsageOverview);
            ctx.Print(body, () =>
            {
                Output.Table(["NAMESPACE", "TOTAL", "UNIQUE", "MANIFESTS", "BLOBS"],
                    usage.Namespaces.Select(n => new[] { n.Namespace, ByteSize.Format(n.TotalBytes), ByteSize.Format(n.UniqueBytes), N(n.Manifests), N(n.Blobs) }),
                    "No namespaces you may see.");
                if (usage.Registry is { } r)
                    Console.Out.WriteLine($"Registry: {ByteSize.Format(r.TotalBytes)} in {N(r.Manifests)} manifests and {N(r.Blobs)} blobs.");
            });
            return 0;
        }, repository);
    }

    internal static string N(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
