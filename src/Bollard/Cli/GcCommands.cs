using System.CommandLine;
using System.Globalization;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard gc [--dry-run] [--wait]</c>, <c>bollard gc status [ID]</c>, <c>bollard gc cancel ID</c> (admins).</summary>
internal static class GcCommands
{
    public static Command Create()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "List what a run would remove, remove nothing" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the run to end, with a progress bar; exit 1 unless it succeeded" };
        var gc = BollardCli.Leaf("gc", "Start garbage collection (admins); a run already queued or running is shown instead", async ctx =>
        {
            bool dry = ctx.Parse.GetValue(dryRun);
            using var client = ctx.Client();
            var run = await client.SendAsync(HttpMethod.Post, dry ? "/api/v1/gc?dryRun=true" : "/api/v1/gc", null, GcJson.Default.GcRunView, ctx.Cancellation).ConfigureAwait(false);
            if (run.Created == false) Console.Error.WriteLine($"A GC run is already {run.State.ToLowerInvariant()}: run {run.Id}{(run.DryRun ? " (dry run)" : "")}.");
            else if (!ctx.Json) Console.Error.WriteLine($"Started GC run {run.Id}{(run.DryRun ? " (dry run)" : "")}.");
            if (!ctx.Parse.GetValue(wait))
            {
                ctx.Print(System.Text.Json.JsonSerializer.Serialize(run, GcJson.Default.GcRunView), () => PrintRun(run));
                return 0;
            }
            var end = await WaitAsync(client, run.Id, ctx.Json, ctx.Cancellation).ConfigureAwait(false);
            string body = await client.SendAsync(HttpMethod.Get, $"/api/v1/gc/{end.Id}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Print(body, () => PrintRun(client.Parse(body, GcJson.Default.GcRunView), items: true));
            return end.State == "Succeeded" ? 0 : CliException.FailureExitCode;
        }, dryRun, wait);

        var id = new Argument<string?>("ID") { Description = "A run's id (default: the current and last runs)", Arity = ArgumentArity.ZeroOrOne };
        gc.Subcommands.Add(BollardCli.Leaf("status", "Show the current and last GC runs, or one run with what it removed", async ctx =>
        {
            using var client = ctx.Client();
            if (ctx.Parse.GetValue(id) is { } one)
            {
                string body = await client.SendAsync(HttpMethod.Get, $"/api/v1/gc/{BollardCli.CheckId(one, "ID")}", null, ctx.Cancellation).ConfigureAwait(false);
                ctx.Print(body, () => PrintRun(client.Parse(body, GcJson.Default.GcRunView), items: true));
                return 0;
            }
            string listBody = await client.SendAsync(HttpMethod.Get, "/api/v1/gc", null, ctx.Cancellation).ConfigureAwait(false);
            var list = client.Parse(listBody, GcJson.Default.GcRunList);
            ctx.Print(listBody, () =>
            {
                if (list.Current is { } current) PrintRun(current);
                Output.Table(["ID", "STATE", "DRY RUN", "BY", "CREATED", "FINISHED", "MANIFESTS", "LINKS", "BLOBS", "FREED", "SKIPPED"],
                    list.Runs.Select(r => new[]
                    {
                        Num(r.Id), r.State, r.DryRun ? "yes" : "no", r.RequestedBy, Output.Time(r.CreatedAt), Output.Time(r.FinishedAt),
                        Num(r.Totals.Manifests), Num(r.Totals.Links), Num(r.Totals.Blobs), Bytes(r.Totals.BytesFreed), Num(r.Totals.Skipped),
                    }), "No GC runs yet.");
            });
            return 0;
        }, id));

        var cancelId = new Argument<string>("ID") { Description = "The run's id (see 'bollard gc status')" };
        gc.Subcommands.Add(BollardCli.Leaf("cancel", "Cancel a GC run (it stops at its next lease renewal)", async ctx =>
        {
            long runId = BollardCli.CheckId(ctx.Parse.GetValue(cancelId), "ID");
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/gc/{runId}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Cancellation of GC run {runId} requested.");
            return 0;
        }, cancelId));
        return gc;
    }

    /// <summary>Polls the run until it ends, drawing a progress bar on standard error (a line per change when it is not a terminal).</summary>
    private static async Task<GcRunView> WaitAsync(ManagementClient client, long id, bool quiet, CancellationToken ct)
    {
        bool tty = !Console.IsErrorRedirected;
        string last = "";
        while (true)
        {
            var run = await client.GetAsync($"/api/v1/gc/{id}?limit=0", GcJson.Default.GcRunView, ct).ConfigureAwait(false);
            bool ended = run.State is "Succeeded" or "Failed" or "Cancelled";
            if (!quiet)
            {
                string line = ProgressLine(run);
                if (tty) Console.Error.Write($"\r{line}\u001b[K");
                else if (line != last) Console.Error.WriteLine(line);
                last = line;
                if (ended && tty) Console.Error.WriteLine();
            }
            if (ended) return run;
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    internal static string ProgressLine(GcRunView run)
    {
        const int Width = 30;
        var p = run.Progress;
        int filled = (int)Math.Round(Math.Clamp(p.Fraction, 0, 1) * Width);
        string eta = p.EtaSeconds is { } s ? $" ETA {TimeSpan.FromSeconds(s):hh\\:mm\\:ss}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {p.Fraction * 100,3:0}% {run.Phase}: {p.ManifestsExamined}/{p.ManifestsTotal} manifests, {p.BlobsExamined}/{p.BlobsTotal} blobs, {p.Removed}/{p.Planned} removals, {Bytes(run.Totals.BytesFreed)} freed, {p.Rate:0.#}/s{eta}");
    }

    private static void PrintRun(GcRunView r, bool items = false)
    {
        Console.WriteLine($"GC run {r.Id}{(r.DryRun ? " (dry run)" : "")}: {r.State}, phase {r.Phase}, requested by {(r.RequestedBy.Length == 0 ? "-" : r.RequestedBy)}, attempt {r.Attempts}");
        Console.WriteLine(ProgressLine(r));
        Console.WriteLine($"{(r.DryRun ? "Would remove" : "Removed")}: {r.Totals.Manifests} manifests, {r.Totals.Links} links, {r.Totals.Blobs} blobs ({Bytes(r.Totals.BytesFreed)}); {r.Totals.Skipped} skipped");
        if (r.LastError is { Length: > 0 } e) Console.WriteLine($"Last error: {e}");
        if (items && r.Items is { } list)
            Output.Table(["KIND", "REPOSITORY", "DIGEST", "SIZE", "DETAIL"],
                list.Select(i => new[] { i.Kind, i.Repository ?? "-", i.Digest, Num(i.Size), i.Detail ?? "" }), "Nothing removed.");
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    internal static string Bytes(long n) => n switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{n / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{n / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{n / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{n} B"),
    };
}
