using System.CommandLine;
using Bollard.Core.Usage;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard quota set|list|remove</c>: storage quotas per namespace pattern (admins).</summary>
internal static class QuotaCommands
{
    public static Command Create() => BollardCli.Group("quota", "Storage quotas per namespace pattern (admins)",
        SetQuota(), ListQuotas(), RemoveQuota());

    private static string PathOf(string pattern) => "/api/v1/quotas/" + string.Join('/', pattern.Split('/').Select(Uri.EscapeDataString));

    private static Command SetQuota()
    {
        var pattern = new Argument<string>("PATTERN") { Description = "Namespace pattern, e.g. 'team-a/**' (quote it in the shell)" };
        var size = new Argument<string>("SIZE") { Description = "Limit, e.g. 10GiB, 500MiB, 2TB or a number of bytes" };
        return BollardCli.Leaf("set", "Set or change a quota: a push that would take the matching repositories over it is refused", async ctx =>
        {
            string limit = ctx.Parse.GetValue(size)!;
            if (!ByteSize.TryParse(limit, out long bytes) || bytes <= 0) throw CliException.Usage($"SIZE '{limit}' is not a size like 10GiB, 500MiB, 2TB or a number of bytes");
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Put, PathOf(ctx.Parse.GetValue(pattern)!),
                ManagementClient.Json(new QuotaRequest(limit), UsageJson.Default.QuotaRequest), ctx.Cancellation).ConfigureAwait(false);
            var q = client.Parse(body, UsageJson.Default.QuotaView);
            ctx.Print(body, () => Console.Out.WriteLine($"Quota {q.Limit} ({q.LimitBytes} bytes) for {q.Namespace}: {q.Used} used{(q.Exceeded ? ", EXCEEDED: pushes are refused until usage falls below the limit" : "")}."));
            return 0;
        }, pattern, size);
    }

    private static Command ListQuotas() => BollardCli.Leaf("list", "List quotas with their usage", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/quotas", null, ctx.Cancellation).ConfigureAwait(false);
        var quotas = client.Parse(body, UsageJson.Default.ListQuotaView);
        ctx.Print(body, () => Output.Table(["NAMESPACE", "LIMIT", "USED", "STATE"],
            quotas.Select(q => new[] { q.Namespace, q.Limit, q.Used, q.Exceeded ? "EXCEEDED" : $"{100.0 * q.UsedBytes / q.LimitBytes:0}%" }), "No quotas."));
        return 0;
    });

    private static Command RemoveQuota()
    {
        var pattern = new Argument<string>("PATTERN") { Description = "The quota's namespace pattern, as listed" };
        return BollardCli.Leaf("remove", "Remove a quota", async ctx =>
        {
            string p = ctx.Parse.GetValue(pattern)!;
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, PathOf(p), null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Removed the quota for {p}.");
            return 0;
        }, pattern);
    }
}
