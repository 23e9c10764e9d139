using System.Diagnostics;
using System.Globalization;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Matching;
using Bollard.Scanning.Sources;
using Bollard.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bollard.Benchmarks;

/// <summary>
/// The scan bench's driver (issue 8, bench/scan-bench.sh) until <c>bollard scan</c> is on main: the same engine types
/// the CLI composes (OCI layout source, ImageAnalyzer over the SQLite layer-index store, AdvisoryDatabase over the
/// SQLite advisory store, AdvisoryMatcher), on a data folder of its own (DATA/bollard.db, migrated on open).
/// </summary>
internal static class ScanDriver
{
    public static async Task<string> ImportAsync(string data, IReadOnlyList<string> paths)
    {
        Directory.CreateDirectory(data);
        using var db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(data, "bollard.db") });
        using var advisories = new AdvisoryDatabase(new SqliteAdvisoryStore(db), () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance);
        var sw = Stopwatch.StartNew();
        int added = 0, changed = 0;
        foreach (string path in paths)
        {
            var r = await advisories.ImportAsync(path, null, CancellationToken.None).ConfigureAwait(false);
            added += r.Record.Added;
            changed += r.Record.Changed;
        }
        return string.Create(CultureInfo.InvariantCulture, $"import_ms={sw.Elapsed.TotalMilliseconds:F0} added={added} changed={changed}");
    }

    /// <summary>Resolve, inventory (layer cache in DATA) and match one image; the whole is what `bollard scan` does.</summary>
    public static async Task<string> ScanAsync(string data, string layout, string tag)
    {
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(data);
        using var db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(data, "bollard.db") });
        using var advisories = new AdvisoryDatabase(new SqliteAdvisoryStore(db), () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance);
        using var source = new OciLayoutSource(layout, tag);
        var images = await source.ResolveAsync(PlatformSelection.Default, CancellationToken.None).ConfigureAwait(false);
        var analyzer = new ImageAnalyzer(new SqliteLayerIndexStore(db), new ScanLimits());
        var sw = Stopwatch.StartNew();
        var analysis = await analyzer.AnalyzeAsync(images[0].Image, source, null, CancellationToken.None).ConfigureAwait(false);
        double inventoryMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var index = await advisories.GetIndexForAsync(AdvisoryMatcher.KeysOf(analysis.Inventory).ToList(), CancellationToken.None).ConfigureAwait(false);
        double indexMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var findings = AdvisoryMatcher.Match(analysis.Inventory, index);
        double matchMs = sw.Elapsed.TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"total_ms={total.Elapsed.TotalMilliseconds:F0} inventory_ms={inventoryMs:F0} index_load_ms={indexMs:F0} match_ms={matchMs:F1} packages={analysis.Inventory.Packages.Count} findings={findings.Count} layers_read={analysis.LayersRead} layers={images[0].Image.Layers.Count}");
    }
}
