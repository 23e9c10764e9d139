using System.CommandLine;
using System.Globalization;
using Bollard.Core.Client;
using Bollard.Core.Oci;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Matching;
using Bollard.Scanning.Reports;
using Bollard.Scanning.Sbom;
using Bollard.Scanning.Sources;
using Bollard.Storage;
using Bollard.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bollard.Cli;

/// <summary>
/// <c>bollard scan IMAGE</c> and <c>bollard sbom IMAGE</c>: local scans like <c>trivy image</c>, of an OCI layout
/// (<c>oci:DIR[:TAG]</c>), a docker-archive tar or an image in any registry (<c>docker://HOST/NAME:TAG</c>), with the
/// engine the server uses and the advisory database of a data folder (<c>--data</c>, the one of <c>bollard serve</c>).
/// Exit codes: 0 done (no finding left after the filters, or no <c>--exit-code</c>), N from <c>--exit-code N</c>
/// when findings remain, 1 the image could not be read (not found, refused, unreachable, corrupt), 2 usage errors.
/// </summary>
internal static class ScanCommands
{
    private static readonly string[] ScanFormats = ["table", "json", "sarif", "cyclonedx", "spdx"];

    public static Command Scan()
    {
        var o = new SourceOptions();
        var format = new Option<string>("--format", "-f") { Description = "table, json, sarif, cyclonedx or spdx", DefaultValueFactory = _ => "table" };
        var severity = new Option<string?>("--severity", "-s") { Description = "Only findings of these severities (comma-separated: critical,high,medium,low,negligible,unknown)", HelpName = "LIST" };
        var ignoreUnfixed = new Option<bool>("--ignore-unfixed") { Description = "Drop findings that have no fixed version" };
        var exitCode = new Option<int>("--exit-code") { Description = "Exit with this code when findings remain after the filters (default 0)", DefaultValueFactory = _ => 0 };
        var command = new Command("scan", "Scan an image for known vulnerabilities (oci:DIR[:TAG], docker-archive:FILE, docker://HOST/NAME:TAG)");
        o.AddTo(command, allPlatforms: true);
        command.Options.Add(format);
        command.Options.Add(severity);
        command.Options.Add(ignoreUnfixed);
        command.Options.Add(exitCode);
        command.SetAction((parse, ct) => BollardCli.RunAsync(async () =>
        {
            string fmt = (parse.GetValue(format) ?? "table").ToLowerInvariant();
            if (!ScanFormats.Contains(fmt)) throw CliException.Usage($"--format '{fmt}' is not one of {string.Join(", ", ScanFormats)}");
            int code = parse.GetValue(exitCode);
            if (code is < 0 or > 255) throw CliException.Usage("--exit-code is 0 to 255");
            ReportFilter filter;
            try
            {
                filter = new ReportFilter(ReportFilter.ParseSeverities(parse.GetValue(severity)), parse.GetValue(ignoreUnfixed));
            }
            catch (FormatException e)
            {
                throw CliException.Usage(e.Message);
            }
            string dataDir = Path.GetFullPath(parse.GetValue(o.Data) ?? "./bollard-data");
            string dbPath = Path.Combine(dataDir, "bollard.db");
            if (!File.Exists(dbPath))
                throw CliException.Usage($"--data: '{dataDir}' holds no advisory database (bollard.db); import advisories with 'bollard db import PATH --data {dataDir}' or give the folder 'bollard serve --data' uses");

            await using var provider = DataFolder(dbPath);
            using var database = new AdvisoryDatabase(provider.GetRequiredService<IAdvisoryStore>(), () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance);

            // The layer index cache of the data folder, the store 'bollard serve' keeps (per layer digest and engine
            // version): a layer already indexed there, by the server or an earlier scan, is not read again.
            var cache = new LayerCache(provider.GetRequiredService<ILayerIndexStore>(), dataDir);
            var analyzed = await AnalyzeAsync(parse, o, cache, ct).ConfigureAwait(false);
            // Only the advisories naming these images' packages are read: loading the whole database was most of a
            // one-shot scan (bench/README.md, "Scanning (issue 8)").
            var keys = analyzed.SelectMany(a => AdvisoryMatcher.KeysOf(a.Inventory)).ToHashSet();
            var index = await database.GetIndexForAsync(keys, ct).ConfigureAwait(false);
            var reports = analyzed.Select(a => new ScanReport(a.Subject, a.Inventory, filter.Apply(AdvisoryMatcher.Match(a.Inventory, index)))).ToList();
            await WriteAsync(parse.GetValue(o.Output), stream =>
            {
                switch (fmt)
                {
                    case "json": JsonReport.Write(stream, reports); break;
                    case "sarif": SarifReport.Write(stream, reports); break;
                    case "cyclonedx" or "spdx":
                        if (reports.Count != 1) throw CliException.Usage($"--format {fmt} writes one image's SBOM; {reports.Count} images matched (use --platform)");
                        ISbomWriter writer = fmt == "spdx" ? new SpdxWriter(TimeProvider.System) : new CycloneDxWriter(TimeProvider.System);
                        stream.Write(writer.Write(reports[0].Inventory, reports[0].Subject));
                        break;
                    default:
                        using (var text = new StreamWriter(stream, leaveOpen: true)) TableReport.Write(text, reports);
                        break;
                }
            }, ct).ConfigureAwait(false);
            return code != 0 && reports.Any(r => r.Findings.Count > 0) ? code : 0;
        }));
        return command;
    }

    public static Command Sbom()
    {
        var o = new SourceOptions();
        var format = new Option<string>("--format", "-f") { Description = "cyclonedx or spdx", DefaultValueFactory = _ => "cyclonedx" };
        var generate = new Option<bool>("--generate") { Description = "Make the SBOM here even when the registry holds one that Bollard stored for the image" };
        var command = new Command("sbom", "Print the SBOM of an image (CycloneDX 1.6 or SPDX 2.3 JSON): for docker:// the one Bollard stored as a referrer when the registry has it, else made here");
        o.AddTo(command, allPlatforms: false);
        command.Options.Add(format);
        command.Options.Add(generate);
        command.SetAction((parse, ct) => BollardCli.RunAsync(async () =>
        {
            string fmt = (parse.GetValue(format) ?? "cyclonedx").ToLowerInvariant();
            ISbomWriter writer = fmt switch
            {
                "cyclonedx" => new CycloneDxWriter(TimeProvider.System),
                "spdx" => new SpdxWriter(TimeProvider.System),
                _ => throw CliException.Usage($"--format '{fmt}' is not one of cyclonedx, spdx"),
            };
            string? output = parse.GetValue(o.Output);
            return await TranslatingSourceErrorsAsync(async () =>
            {
                using var source = OpenSource(parse, o);
                var images = await ResolveAsync(parse, o, source, ct).ConfigureAwait(false);
                if (images.Count != 1) throw CliException.Usage($"the source holds {images.Count} images; an SBOM describes one (use --platform)");
                var image = images[0];
                string? why = null;
                if (source is RegistrySource registry)
                {
                    if (parse.GetValue(generate))
                    {
                        why = "--generate";
                    }
                    else
                    {
                        var lookup = await registry.FindStoredSbomAsync(Digest.Parse(image.Subject.ManifestDigest), writer.MediaType, ct).ConfigureAwait(false);
                        if (lookup.Sbom is { } stored)
                        {
                            await WriteVerifiedAsync(output, registry, stored, ct).ConfigureAwait(false);
                            await Console.Error.WriteLineAsync(
                                $"sbom: the {fmt} SBOM Bollard stored for {registry.Name} (referrer {stored.Referrer}, engine {stored.EngineVersion}, {stored.Blob.Digest} verified); --generate makes one here").ConfigureAwait(false);
                            return 0;
                        }
                        why = lookup.Reason;
                    }
                }

                // Made here: with the layer index cache of the data folder when it has one (an SBOM needs no advisories,
                // so a folder without bollard.db is not an error, and none is created).
                string dataDir = Path.GetFullPath(parse.GetValue(o.Data) ?? "./bollard-data");
                string dbPath = Path.Combine(dataDir, "bollard.db");
                await using var provider = File.Exists(dbPath) ? DataFolder(dbPath) : null;
                var cache = provider is null ? null : new LayerCache(provider.GetRequiredService<ILayerIndexStore>(), dataDir);
                var analyzed = await AnalyzeAsync(source, images, cache, parse.GetValue(o.Verbose), ct).ConfigureAwait(false);
                byte[] document = writer.Write(analyzed[0].Inventory, analyzed[0].Subject);
                await WriteAsync(output, stream => stream.Write(document), ct).ConfigureAwait(false);
                if (why is not null) await Console.Error.WriteLineAsync($"sbom: made here from the image's layers ({why})").ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>The metadata database of a data folder (advisories, the layer index cache), migrated like the server's.</summary>
    private static ServiceProvider DataFolder(string dbPath)
    {
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddSqliteMetadata(new SqliteOptions { Path = dbPath });
        return services.BuildServiceProvider();
    }

    /// <summary>Opens, resolves and analyzes the image of the command line, turning source failures into one-line errors.</summary>
    private static Task<List<(SbomSubject Subject, ImageInventory Inventory)>> AnalyzeAsync(ParseResult parse, SourceOptions o, LayerCache? cache, CancellationToken ct) =>
        TranslatingSourceErrorsAsync(async () =>
        {
            using var source = OpenSource(parse, o);
            var images = await ResolveAsync(parse, o, source, ct).ConfigureAwait(false);
            return await AnalyzeAsync(source, images, cache, parse.GetValue(o.Verbose), ct).ConfigureAwait(false);
        });

    private static IImageSource OpenSource(ParseResult parse, SourceOptions o)
    {
        string image = parse.GetValue(o.Image)!;
        string? username = parse.GetValue(o.Username);
        string? password = parse.GetValue(o.Password);
        string? caCert = parse.GetValue(o.CaCert);
        bool insecure = parse.GetValue(o.Insecure);
        if (caCert is not null && insecure) throw CliException.Usage("give --ca-cert or --insecure, not both");
        return ImageSources.Open(image, host => CliRegistryCredentials.Find(host, username, password), insecure, host => CliRegistryTls.Find(host, caCert));
    }

    private static async Task<IReadOnlyList<SourceImage>> ResolveAsync(ParseResult parse, SourceOptions o, IImageSource source, CancellationToken ct)
    {
        string platform = parse.GetValue(o.Platform) ?? "linux/amd64";
        if (platform.Split('/').Length is < 2 or > 3 || platform.Split('/').Any(p => p.Length == 0))
            throw CliException.Usage($"--platform '{platform}' is not os/arch[/variant] (linux/amd64)");
        var selection = new PlatformSelection(platform, o.AllPlatforms is not null && parse.GetValue(o.AllPlatforms));
        return await source.ResolveAsync(selection, ct).ConfigureAwait(false);
    }

    /// <summary>Analyzes each image (a progress bar on a terminal; with <paramref name="verbose"/>, how many layers were read and how many came from the cache).</summary>
    private static async Task<List<(SbomSubject Subject, ImageInventory Inventory)>> AnalyzeAsync(
        IImageSource source, IReadOnlyList<SourceImage> images, LayerCache? cache, bool verbose, CancellationToken ct)
    {
        var analyzer = new ImageAnalyzer(cache?.Store, ScanLimits.Default);
        var result = new List<(SbomSubject, ImageInventory)>();
        foreach (var (one, i) in images.Select((x, i) => (x, i)))
        {
            ImageAnalysis analysis;
            using (var bar = ProgressBar.Create(images.Count > 1 ? $"{i + 1}/{images.Count} {one.Platform}" : one.Platform))
                analysis = await analyzer.AnalyzeAsync(one.Image, source, bar, ct).ConfigureAwait(false);
            result.Add((one.Subject, analysis.Inventory));
            if (verbose)
            {
                int layers = one.Image.Layers.Select(l => l.Digest).Distinct().Count();
                string from = cache is null ? "no layer index cache (the data folder has no bollard.db)" : $"{layers - analysis.LayersRead} from the layer index cache of {cache.Folder}";
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{one.Subject.DisplayName}{(one.Platform is null ? "" : " " + one.Platform)}: {layers} layers, {analysis.LayersRead} read, {from}")).ConfigureAwait(false);
            }
        }
        return result;
    }

    private static async Task<T> TranslatingSourceErrorsAsync<T>(Func<Task<T>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (ImageSourceException e)
        {
            throw new CliException(e.Error == ImageSourceError.UnknownSource ? CliException.UsageExitCode : CliException.FailureExitCode, e.Message);
        }
        catch (RegistryClientException e)
        {
            throw CliException.Failure(e.Message);
        }
    }

    /// <summary>
    /// Copies a stored SBOM blob to the output through a file (the output's temporary file, or one in the temp folder for
    /// standard output), hashing as it goes: nothing is printed or moved into place unless size and digest match.
    /// </summary>
    private static async Task WriteVerifiedAsync(string? output, RegistrySource registry, StoredSbom sbom, CancellationToken ct)
    {
        string temp = output is null ? Path.Combine(Path.GetTempPath(), $"bollard-sbom-{Guid.NewGuid():N}.json") : output + ".tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            await using (var blob = await registry.OpenAsync(sbom.Blob, ct).ConfigureAwait(false))
            {
                using var hash = sbom.Blob.Digest.Algorithm.CreateHash();
                byte[] buffer = new byte[81920];
                long total = 0;
                int n;
                while ((n = await blob.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (total > sbom.Blob.Size) throw CliException.Failure($"the stored SBOM {sbom.Blob.Digest} is larger than its descriptor says ({sbom.Blob.Size} bytes); use --generate");
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                if (total != sbom.Blob.Size || Digest.FromHash(sbom.Blob.Digest.Algorithm, hash.GetHashAndReset()) != sbom.Blob.Digest)
                    throw CliException.Failure($"the stored SBOM {sbom.Blob.Digest} does not match its digest (the registry sent other bytes); use --generate");
            }
            if (output is not null)
            {
                File.Move(temp, output, overwrite: true);
                return;
            }
            await using var verified = new FileStream(temp, FileMode.Open, FileAccess.Read);
            await using var stdout = Console.OpenStandardOutput();
            await verified.CopyToAsync(stdout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"{output ?? "the temporary copy of the SBOM"} cannot be written: {e.Message}");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static async Task WriteAsync(string? output, Action<Stream> write, CancellationToken ct)
    {
        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            write(stdout);
            await stdout.FlushAsync(ct).ConfigureAwait(false);
            return;
        }
        string temp = output + ".tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
                write(file);
            File.Move(temp, output, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw CliException.Usage($"-o '{output}' cannot be written: {e.Message}");
        }
    }

    /// <summary>The options both commands share.</summary>
    private sealed class SourceOptions
    {
        public Argument<string> Image { get; } = new("IMAGE") { Description = "oci:DIR[:TAG], docker-archive:FILE or docker://HOST/NAME[:TAG|@DIGEST]" };
        public Option<string?> Platform { get; } = new("--platform") { Description = "Platform of a multi-platform image (default linux/amd64)", HelpName = "OS/ARCH" };
        public Option<bool>? AllPlatforms { get; private set; }
        public Option<string?> Username { get; } = new("--username", "-u") { Description = "Registry user (else $BOLLARD_USERNAME, else bollard login, docker or skopeo login)" };
        public Option<string?> Password { get; } = new("--password", "-p") { Description = "Registry password or token (else $BOLLARD_PASSWORD)" };
        public Option<bool> Insecure { get; } = new("--insecure") { Description = "Plain HTTP to the registry (always allowed for loopback)" };
        public Option<string?> CaCert { get; } = new("--ca-cert") { Description = "PEM file of the registry's certificate or CA, for a self-signed HTTPS registry (else bollard login's, else certs.d/HOST/*.crt)", HelpName = "FILE" };
        public Option<string?> Data { get; } = new("--data") { Description = "Data folder (default ./bollard-data, the one of 'bollard serve'): its advisory database, and its layer index cache (a layer indexed there, by the server or an earlier scan, is not read again)", HelpName = "DIR" };
        public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Say on standard error, per image, how many layers were read and how many came from the layer index cache" };
        public Option<string?> Output { get; } = new("--output", "-o") { Description = "Write the report to this file instead of standard output", HelpName = "FILE" };

        public void AddTo(Command command, bool allPlatforms)
        {
            command.Arguments.Add(Image);
            command.Options.Add(Platform);
            if (allPlatforms)
            {
                AllPlatforms = new Option<bool>("--all-platforms") { Description = "Scan every platform of a multi-platform image" };
                command.Options.Add(AllPlatforms);
            }
            command.Options.Add(Username);
            command.Options.Add(Password);
            command.Options.Add(Insecure);
            command.Options.Add(CaCert);
            command.Options.Add(Data);
            command.Options.Add(Output);
            command.Options.Add(Verbose);
        }
    }

    /// <summary>A progress bar on standard error when it is a terminal; nothing otherwise.</summary>
    private sealed class ProgressBar : IProgress<ScanProgress>, IDisposable
    {
        private const int Width = 30;
        private readonly Lock _lock = new();
        private readonly string? _label;
        private bool _drawn;

        private ProgressBar(string? label) => _label = label;

        public static ProgressBar? Create(string? label) => Console.IsErrorRedirected ? null : new ProgressBar(label);

        public void Report(ScanProgress value)
        {
            double fraction = value.BytesTotal > 0 ? Math.Clamp((double)value.BytesRead / value.BytesTotal, 0, 1)
                : value.LayersTotal > 0 ? (double)value.LayersDone / value.LayersTotal : 0;
            int filled = (int)Math.Round(fraction * Width);
            string layer = value.CurrentLayer is { Length: > 19 } l ? l[..19] : value.CurrentLayer ?? "";
            string line = string.Create(CultureInfo.InvariantCulture,
                $"[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,3:0}% {value.LayersDone}/{value.LayersTotal} layers, {Mb(value.BytesRead)}/{Mb(value.BytesTotal)} MB {layer}{(_label is null ? "" : " " + _label)}");
            lock (_lock)
            {
                Console.Error.Write($"\r{line}\u001b[K");
                _drawn = true;
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_drawn) Console.Error.Write("\r\u001b[K");
            }
        }

        private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
    }

    /// <summary>The layer index store of a data folder, and the folder (for messages).</summary>
    private sealed record LayerCache(ILayerIndexStore Store, string Folder);
}
