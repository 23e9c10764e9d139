using System.CommandLine;
using System.Globalization;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary>
/// <c>bollard mirror sync REF [--platform P | --all-platforms]</c> (waits with a progress bar), <c>bollard mirror status</c>,
/// <c>bollard mirror tags [--stale]</c>, <c>bollard mirror forget REPO:TAG</c>, <c>bollard mirror evict</c>,
/// <c>bollard mirror login UPSTREAM --username U [--password-stdin]</c>, <c>bollard mirror logout UPSTREAM</c> (docs/mirror.md).
/// </summary>
internal static class MirrorCommands
{
    public static Command Create() => BollardCli.Group("mirror", "The pull-through mirror: pre-fetch images, see upstreams and cached tags, forget a tag, evict, store upstream credentials",
        Sync(), Status(), Tags(), Forget(), Evict(), Login(), Logout());

    private static Command Login()
    {
        var upstream = new Argument<string>("UPSTREAM") { Description = "The upstream's name in Mirror:Upstreams, e.g. docker.io" };
        var username = new Option<string?>("--username", "-u") { Description = "The user name at the upstream (else asked)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password (or token) from standard input" };
        return BollardCli.Leaf("login", "Store credentials for an upstream on the server, sealed under its key-encryption key; they win over the configuration's (admins)", async ctx =>
        {
            string name = ctx.Parse.GetValue(upstream) ?? "";
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal)) throw CliException.Usage($"'{name}' is not an upstream name, e.g. docker.io");
            string user = ctx.Parse.GetValue(username) is { Length: > 0 } given ? given : Terminal.ReadLine("Username: ");
            if (user.Length == 0) throw CliException.Usage("no username given");
            string password = Terminal.ReadSecrets(ctx.Parse.GetValue(passwordStdin), false, "Password: ")[0];
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Put, $"/api/v1/mirror/upstreams/{Uri.EscapeDataString(name)}/credentials",
                ManagementClient.Json(new MirrorCredentialsRequestBody(user, password), MirrorJson.Default.MirrorCredentialsRequestBody), ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Stored credentials of user '{user}' for upstream {name}.");
            return 0;
        }, upstream, username, passwordStdin);
    }

    private static Command Logout()
    {
        var upstream = new Argument<string>("UPSTREAM") { Description = "The upstream's name in Mirror:Upstreams, e.g. docker.io" };
        return BollardCli.Leaf("logout", "Remove an upstream's stored credentials; the configuration's (if any) apply again (admins)", async ctx =>
        {
            string name = ctx.Parse.GetValue(upstream) ?? "";
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/mirror/upstreams/{Uri.EscapeDataString(name)}/credentials", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Removed the stored credentials for upstream {name}.");
            return 0;
        }, upstream);
    }

    private static Command Sync()
    {
        var reference = new Argument<string>("REFERENCE") { Description = "The upstream image, e.g. docker.io/library/debian:bookworm (UPSTREAM/REPOSITORY[:TAG|@DIGEST])" };
        var platform = new Option<string[]>("--platform") { Description = "Fetch only this platform of an index, e.g. linux/amd64 (repeatable); default: all platforms", HelpName = "OS/ARCH[/VARIANT]" };
        var all = new Option<bool>("--all-platforms") { Description = "Fetch every platform of an index (the default)" };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the sync and return; follow it with 'bollard mirror status'" };
        return BollardCli.Leaf("sync", "Pre-fetch an image into the mirror's cache, waiting with a progress bar (maintainers of the mirror namespace, admins)", async ctx =>
        {
            var p = ctx.Parse;
            string text = p.GetValue(reference) ?? "";
            string[] platforms = p.GetValue(platform) ?? [];
            if (p.GetValue(all) && platforms.Length > 0) throw CliException.Usage("give --platform or --all-platforms, not both");
            CheckReference(text);
            foreach (string one in platforms)
                if (one.Split('/') is not { Length: 2 or 3 } parts || parts.Any(x => x.Length == 0))
                    throw CliException.Usage($"--platform '{one}' is not OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8");
            using var client = ctx.Client();
            var sync = await client.SendAsync(HttpMethod.Post, "/api/v1/mirror/sync",
                ManagementClient.Json(new MirrorSyncRequestBody(text, platforms), MirrorJson.Default.MirrorSyncRequestBody), MirrorJson.Default.MirrorSyncView, ctx.Cancellation).ConfigureAwait(false);
            if (!ctx.Json)
                Console.Error.WriteLine(sync.Created == false
                    ? $"The same sync is already {sync.State.ToLowerInvariant()}: sync {sync.Id}."
                    : $"Started sync {sync.Id} of {sync.Reference} ({(sync.Platforms.Count == 0 ? "all platforms" : string.Join(", ", sync.Platforms))}).");
            if (p.GetValue(noWait))
            {
                ctx.Print(System.Text.Json.JsonSerializer.Serialize(sync, MirrorJson.Default.MirrorSyncView), () => PrintSync(sync));
                return 0;
            }
            var end = await WaitAsync(client, sync.Id, ctx.Json, ctx.Cancellation).ConfigureAwait(false);
            ctx.Print(System.Text.Json.JsonSerializer.Serialize(end, MirrorJson.Default.MirrorSyncView), () => PrintSync(end));
            return end.State == "Succeeded" ? 0 : CliException.FailureExitCode;
        }, reference, platform, all, noWait);
    }

    /// <summary>The shape of a reference, checked before anything is sent (the server names unknown upstreams).</summary>
    private static void CheckReference(string text)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (text.Length == 0 || slash <= 0 || slash == text.Length - 1 || text.Any(char.IsWhiteSpace))
            throw CliException.Usage($"'{text}' is not UPSTREAM/REPOSITORY[:TAG|@DIGEST], e.g. docker.io/library/debian:bookworm");
    }

    private static Command Status() => BollardCli.Leaf("status", "The mirror's upstreams with their counters and cached/stale tags, and the last syncs", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/mirror/upstreams", null, ctx.Cancellation).ConfigureAwait(false);
        var list = client.Parse(body, MirrorJson.Default.MirrorUpstreamList);
        if (ctx.Json)
        {
            Output.WriteJson(body);
            return 0;
        }
        var syncs = await client.GetAsync("/api/v1/mirror/sync", MirrorJson.Default.MirrorSyncList, ctx.Cancellation).ConfigureAwait(false);
        Console.WriteLine($"Mirror namespace: {list.Namespace}/   transparent upstream: {list.Transparent ?? "-"}");
        Output.Table(["UPSTREAM", "URL", "CREDENTIALS", "TAG TTL", "TAGS", "STALE", "HITS", "MISSES", "REVALIDATED", "STALE SERVED", "ERRORS", "FETCHED", "SAVED", "EVICT AFTER", "SYNC"],
            list.Upstreams.Select(u => new[]
            {
                u.Name, u.Url, u.Credentials?.Source ?? "-", u.TagTtl, Num(u.CachedTags), Num(u.StaleTags), Num(u.Counters.ManifestHits + u.Counters.BlobHits),
                Num(u.Counters.ManifestMisses + u.Counters.BlobMisses), Num(u.Counters.Revalidations), Num(u.Counters.StaleServed),
                u.Counters.Errors.Count == 0 ? "0" : string.Join(",", u.Counters.Errors.Select(e => $"{e.Key}={e.Value}")),
                GcCommands.Bytes(u.Counters.BytesFetched), GcCommands.Bytes(u.Counters.BytesSaved), u.EvictAfter ?? "-",
                u.Sync.Count == 0 ? "-" : $"{u.Sync.Count} every {u.SyncInterval}",
            }), "No upstreams: the mirror is off (configure Mirror:Upstreams).");
        Console.WriteLine();
        Output.Table(["SYNC", "STATE", "REFERENCE", "PLATFORMS", "BY", "PROGRESS", "CREATED"],
            syncs.Syncs.Select(s => new[]
            {
                Num(s.Id), s.State, s.Reference, s.Platforms.Count == 0 ? "all" : string.Join(",", s.Platforms), s.RequestedBy,
                string.Create(CultureInfo.InvariantCulture, $"{s.Progress.Fraction * 100:0}%"), Output.Time(s.CreatedAt),
            }), "No syncs yet.");
        return 0;
    });

    private static Command Tags()
    {
        var stale = new Option<bool>("--stale") { Description = "Only stale tags (the upstream failed at the last check, or removed the tag)" };
        var repository = new Option<string?>("--repository") { Description = "Only this repository, e.g. docker.io/library/debian", HelpName = "REPOSITORY" };
        return BollardCli.Leaf("tags", "Cached tags with their digest, last upstream check and staleness", async ctx =>
        {
            var query = new List<string>();
            if (ctx.Parse.GetValue(stale)) query.Add("stale=true");
            if (ctx.Parse.GetValue(repository) is { Length: > 0 } r) query.Add("repository=" + Uri.EscapeDataString(r));
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, "/api/v1/mirror/tags" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), null, ctx.Cancellation).ConfigureAwait(false);
            var list = client.Parse(body, MirrorJson.Default.MirrorTagList);
            ctx.Print(body, () => Output.Table(["REFERENCE", "DIGEST", "CHECKED", "STALE", "WHY"],
                list.Tags.Select(t => new[]
                {
                    t.Reference, t.Digest, Output.Time(t.CheckedAt), t.Stale ? "yes" : "no",
                    t.RemovedUpstream ? "removed upstream" + (t.LastError is { } e ? "; " + e : "") : t.LastError ?? "",
                }), ctx.Parse.GetValue(stale) ? "No stale tags." : "No cached tags."));
            return 0;
        }, stale, repository);
    }

    private static Command Forget()
    {
        var reference = new Argument<string>("REPO:TAG") { Description = "The cached tag, e.g. docker.io/library/debian:bookworm" };
        return BollardCli.Leaf("forget", "Remove a cached tag (one removed upstream stays served until then); GC frees its bytes (maintainers, admins)", async ctx =>
        {
            string text = ctx.Parse.GetValue(reference) ?? "";
            CheckReference(text);
            int colon = text.LastIndexOf(':');
            if (colon < text.LastIndexOf('/') || text.Contains('@', StringComparison.Ordinal))
                throw CliException.Usage($"'{text}' names no tag: write REPO:TAG, e.g. docker.io/library/debian:bookworm");
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, "/api/v1/mirror/tags?reference=" + Uri.EscapeDataString(text), null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Forgot {text}; GC frees what only it held.");
            return 0;
        }, reference);
    }

    private static Command Evict() => BollardCli.Leaf("evict", "Evict now the images not pulled for their upstream's evictAfter, and wait (admins)", async ctx =>
    {
        using var client = ctx.Client();
        var run = await client.SendAsync(HttpMethod.Post, "/api/v1/mirror/evict", null, MirrorJson.Default.MirrorEvictionView, ctx.Cancellation).ConfigureAwait(false);
        while (run.State is "Queued" or "Running")
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), ctx.Cancellation).ConfigureAwait(false);
            run = await client.GetAsync($"/api/v1/mirror/evict/{run.Id}", MirrorJson.Default.MirrorEvictionView, ctx.Cancellation).ConfigureAwait(false);
        }
        ctx.Print(System.Text.Json.JsonSerializer.Serialize(run, MirrorJson.Default.MirrorEvictionView),
            () => Console.WriteLine($"Eviction run {run.Id}: {run.State}{(run.Message is { } m ? ": " + m : "")}{(run.LastError is { } e ? "; last error: " + e : "")}"));
        return run.State == "Succeeded" ? 0 : CliException.FailureExitCode;
    });

    /// <summary>Polls the sync until it ends, drawing a progress bar on standard error (a line per change when it is not a terminal).</summary>
    private static async Task<MirrorSyncView> WaitAsync(ManagementClient client, long id, bool quiet, CancellationToken ct)
    {
        bool tty = !Console.IsErrorRedirected;
        string last = "";
        while (true)
        {
            var sync = await client.GetAsync($"/api/v1/mirror/sync/{id}", MirrorJson.Default.MirrorSyncView, ct).ConfigureAwait(false);
            bool ended = sync.State is "Succeeded" or "Failed" or "Cancelled";
            if (!quiet)
            {
                string line = ProgressLine(sync);
                if (tty) Console.Error.Write($"\r{line}\u001b[K");
                else if (line != last) Console.Error.WriteLine(line);
                last = line;
                if (ended && tty) Console.Error.WriteLine();
            }
            if (ended) return sync;
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    internal static string ProgressLine(MirrorSyncView sync)
    {
        const int Width = 30;
        var p = sync.Progress;
        int filled = (int)Math.Round(Math.Clamp(p.Fraction, 0, 1) * Width);
        string eta = p.EtaSeconds is { } s ? $" ETA {TimeSpan.FromSeconds(s):hh\\:mm\\:ss}" : "";
        string cached = p.BlobsCached > 0 ? $" ({p.BlobsCached} cached)" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {p.Fraction * 100,3:0}% {p.Phase}: {p.Manifests}/{p.ManifestsTotal} manifests, {p.Blobs + p.BlobsCached}/{p.BlobsTotal} blobs{cached}, {GcCommands.Bytes(p.Bytes + p.BytesCached)}/{GcCommands.Bytes(p.BytesTotal)}, {GcCommands.Bytes((long)p.Rate)}/s{eta}");
    }

    private static void PrintSync(MirrorSyncView s)
    {
        Console.WriteLine($"Sync {s.Id} of {s.Reference}: {s.State}, platforms {(s.Platforms.Count == 0 ? "all" : string.Join(", ", s.Platforms))}, requested by {s.RequestedBy}, attempt {s.Attempts}");
        Console.WriteLine(ProgressLine(s));
        if (s.Progress.Digest is { } d) Console.WriteLine($"Digest: {d}{(s.Progress.Platforms.Count > 0 ? "; fetched " + string.Join(", ", s.Progress.Platforms) : "")}");
        if (s.LastError is { Length: > 0 } e) Console.WriteLine($"Last error: {e}");
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
}
