using System.CommandLine;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard repo delete</c>: whole repositories.</summary>
internal static class RepositoryCommands
{
    public static Command Create() => BollardCli.Group("repo", "Delete repositories",
        DeleteRepository());

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
