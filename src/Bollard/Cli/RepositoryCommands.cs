using System.CommandLine;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard repo show|delete</c>: whole repositories.</summary>
internal static class RepositoryCommands
{
    public static Command Create() => BollardCli.Group("repo", "Show a repository's storage usage, or delete a repository",
        ShowRepository(), DeleteRepository());

    private static Command ShowRepository()
    {
        var name = new Argument<string>("NAME") { Description = "Repository, e.g. team-a/app" };
        return BollardCli.Leaf("show", "A repository's storage usage and the quotas that apply to it", ctx => ShowAsync(ctx, ctx.Parse.GetValue(name)!), name);
    }

    internal static async Task<int> ShowAsync(CliContext ctx, string repository)
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, PathOf(repository), null, ctx.Cancellation).ConfigureAwait(false);
        var r = client.Parse(body, UsageJson.Default.RepositoryView);
        ctx.Print(body, () =>
        {
            var o = Console.Out;
            o.WriteLine($"Repository {r.Name} (namespace {r.Namespace})");
            o.WriteLine($"  total:  {Core.Usage.ByteSize.Format(r.Usage.TotalBytes)} ({r.Usage.TotalBytes} bytes: {r.Usage.Manifests} manifests, {r.Usage.Blobs} blobs, shared ones included)");
            o.WriteLine($"  unique: {Core.Usage.ByteSize.Format(r.Usage.UniqueBytes)} ({r.Usage.UniqueBytes} bytes: what deleting it would free)");
            foreach (var q in r.Quotas)
                o.WriteLine($"  quota {q.Namespace}: {q.Used} of {q.Limit}{(q.Exceeded ? " EXCEEDED" : "")}");
        });
        return 0;
    }

    /// <summary>The path of a repository under <c>/api/v1/repositories/</c> (each component escaped, slashes kept).</summary>
    internal static string PathOf(string name) => "/api/v1/repositories/" + string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    private static Command DeleteRepository()
    {
        var name = new Argument<string>("NAME") { Description = "Repository, e.g. team-a/app" };
        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation (needed when standard input is not a terminal)" };
        return BollardCli.Leaf("delete", "Delete a repository with all its tags, manifests and uploads in progress (maintainers of its namespace, admins); garbage collection then frees the bytes no other repository uses", async ctx =>
        {
            string repository = ctx.Parse.GetValue(name)!;
            if (!ctx.Parse.GetValue(yes))
            {
                if (Console.IsInputRedirected) throw CliException.Usage($"deleting {repository} cannot be undone: pass --yes to confirm");
                if (Terminal.ReadLine($"Delete {repository} and everything in it? Type its name to confirm: ").Trim() != repository)
                    throw CliException.Failure("not confirmed: nothing was deleted");
            }
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Delete, PathOf(repository), null, ctx.Cancellation).ConfigureAwait(false);
            var deleted = client.Parse(body, UsageJson.Default.RepositoryDeletedView);
            ctx.Print(body, () => Console.Out.WriteLine(
                $"Deleted repository {deleted.Name}: {deleted.Tags} tags, {deleted.Manifests} manifests, {deleted.BlobLinks} blob links, {deleted.UploadsCancelled} uploads cancelled. Garbage collection frees the bytes no other repository uses."));
            return 0;
        }, name, yes);
    }
}
