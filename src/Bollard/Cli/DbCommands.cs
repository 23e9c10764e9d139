using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Bollard.Core.Jobs;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Pipeline;
using Bollard.Server.Management;
using Bollard.Storage;
using Bollard.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bollard.Cli;

/// <summary>
/// <c>bollard db import PATH [--data DIR] [--feed NAME]</c> and <c>bollard db status [--data DIR]</c>: the advisory
/// database of a data folder, worked on directly (no server needed; a running server on the same folder sees the new
/// data at its next match, see <see cref="AdvisoryDatabase.GetIndexAsync"/>). PATH is a directory or a zip archive in
/// any format the importers read (docs/scanning.md, "Advisory database"). An import that changed something queues the
/// same <c>rematch</c> job as an import through the API (<see cref="RematchOnImport"/>) in the folder's job store: the
/// server on that folder runs it (at once when it is running, else when it next starts), so stored images get the new
/// findings without waiting for another import.
/// </summary>
internal static class DbCommands
{
    private const int MaxWarningsShown = 20;

    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "A directory or zip archive of advisories (OSV, Debian tracker, Alpine/Wolfi secdb, GitHub vuln-list)" };
        var feed = new Option<string?>("--feed") { Description = "The data set the import replaces (default: source:name of PATH, e.g. osv:go)", HelpName = "NAME" };
        var import = Leaf("import", "Import advisories from files, incrementally (a newer snapshot of the same feed changes only what changed)", async (provider, json, parse, ct) =>
        {
            string source = parse.GetValue(path)!;
            if (!File.Exists(source) && !Directory.Exists(source)) throw CliException.Usage($"PATH '{source}' is neither a file nor a directory");
            var database = provider.GetRequiredService<AdvisoryDatabase>();
            AdvisoryImportResult result;
            try
            {
                result = await database.ImportAsync(source, new AdvisoryImportOptions { Feed = parse.GetValue(feed) }, ct).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw CliException.Failure(e.Message);
            }
            var r = result.Record;
            var queued = result.HasChanges ? await provider.GetRequiredService<IJobStore>().ListAsync(ScanJobs.RematchKind, 1, ct).ConfigureAwait(false) : [];
            var rematch = queued.Count > 0 ? queued[0] : null;
            if (json)
            {
                Output.WriteJson(JsonSerializer.Serialize(AdvisoryImportView.From(r, result), AdvisoryApiJson.Default.AdvisoryImportView));
                return 0;
            }
            foreach (string warning in result.Warnings.Take(MaxWarningsShown)) Console.Error.WriteLine($"warning: {warning}");
            if (r.Warnings > MaxWarningsShown) Console.Error.WriteLine($"... and {r.Warnings - MaxWarningsShown} more warnings");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Imported {r.Path} into feed {r.Feed} ({r.Source}): {r.Added} added, {r.Changed} changed, {r.Removed} removed, {r.Unchanged} unchanged, {r.Warnings} warnings, {result.ChangedKeys.Count} packages affected, in {r.Duration.TotalSeconds:0.0} s."));
            if (rematch is not null)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Queued re-match job {rematch.Id} of the stored images holding those packages: 'bollard serve' on this data folder runs it (now if it is running, else when it starts)."));
            return 0;
        }, path, feed);

        var status = Leaf("status", "Show the advisories stored per feed and the last imports", async (provider, json, parse, ct) =>
        {
            var store = provider.GetRequiredService<IAdvisoryStore>();
            var imports = await store.ListImportsAsync(20, ct).ConfigureAwait(false);
            var feeds = await store.CountByFeedAsync(ct).ConfigureAwait(false);
            if (json)
            {
                Output.WriteJson(JsonSerializer.Serialize(new AdvisoryImportListView(imports.Select(i => AdvisoryImportView.From(i)).ToList(), feeds), AdvisoryApiJson.Default.AdvisoryImportListView));
                return 0;
            }
            Output.Table(["FEED", "ADVISORIES"], feeds.Select(f => new[] { f.Key, Num(f.Value) }), "No advisories imported yet (bollard db import PATH).");
            Console.WriteLine();
            Output.Table(["ID", "IMPORTED", "FEED", "SOURCE", "ADDED", "CHANGED", "REMOVED", "UNCHANGED", "WARNINGS", "PATH"],
                imports.Select(i => new[] { Num(i.Id), Output.Time(i.ImportedAt), i.Feed, i.Source, Num(i.Added), Num(i.Changed), Num(i.Removed), Num(i.Unchanged), Num(i.Warnings), i.Path }),
                "No imports yet.");
            return 0;
        });
        var db = new Command("db", "The advisory database of a data folder (offline: no server needed)");
        db.Subcommands.Add(import);
        db.Subcommands.Add(status);
        return db;
    }

    private static Command Leaf(string name, string description, Func<IServiceProvider, bool, ParseResult, CancellationToken, Task<int>> run, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            if (symbol is Argument argument) command.Arguments.Add(argument);
            else if (symbol is Option option) command.Options.Add(option);
        }
        var data = new Option<string?>("--data") { Description = "Data folder (default ./bollard-data, the folder 'bollard serve' uses)", HelpName = "DIR" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        command.Options.Add(data);
        command.Options.Add(json);
        command.SetAction((parse, ct) => BollardCli.RunAsync(async () =>
        {
            await using var provider = Open(parse.GetValue(data) ?? "./bollard-data");
            return await run(provider, parse.GetValue(json), parse, ct).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>The data folder's database (created, 0700 folder and 0600 file, when it does not exist yet, as <c>bollard serve</c> would).</summary>
    private static ServiceProvider Open(string dataDir)
    {
        string full = Path.GetFullPath(dataDir);
        if (File.Exists(full)) throw CliException.Usage($"--data: '{full}' is a file, not a data folder");
        if (!Directory.Exists(full))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(full);
            else Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        string db = Path.Combine(full, "bollard.db");
        if (!File.Exists(db) && !OperatingSystem.IsWindows())
        {
            using (File.Create(db)) { }
            File.SetUnixFileMode(db, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        services.AddSqliteMetadata(new SqliteOptions { Path = db });
        services.AddBollardAdvisories();
        // The server's re-match listener, on the same job store: the server's job runner claims the job (it polls the
        // store, Jobs:PollInterval), so a CLI import re-matches stored images as an API import does. Scanning:Enabled is
        // the server's setting, unknown here: the job is queued, and runs wherever a rematch handler runs.
        services.AddSingleton(new ScanOptions());
        services.AddSingleton<ScanJobs>();
        services.AddSingleton<IAdvisoryImportListener, RematchOnImport>();
        return services.BuildServiceProvider();
    }

    private static string Num(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
