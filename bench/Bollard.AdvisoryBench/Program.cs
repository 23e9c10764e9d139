using System.Diagnostics;
using System.Globalization;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Matching;
using Bollard.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

// Re-match bench (issue 8): import the vulndata advisory sets into a fresh SQLite database, build N inventories from
// the real package lists (the bookworm minbase dpkg status, the Alpine 3.18 apk db, and language packages named by the
// imported advisories, at versions taken from the advisories' own events), then time loading the index and matching
// every inventory, sequentially and on all cores. Usage: advisory-bench VULNDATA [N=10000] [SEED=1]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: advisory-bench VULNDATA [N=10000] [SEED=1]");
    return 2;
}
string vulndata = args[0];
int n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
var random = new Random(args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1);
string dir = Directory.CreateTempSubdirectory("bollard-advisory-bench-").FullName;
try
{
    using var sqlite = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(dir, "bollard.db") });
    var store = new SqliteAdvisoryStore(sqlite);
    using var database = new AdvisoryDatabase(store, () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance);
    var total = Stopwatch.StartNew();
    foreach (string set in new[] { "osv/go", "osv/pypi", "osv/npm", "osv/nuget", "vuln-list", "debian", "alpine/vuln-list", "alpine/secdb", "wolfi" })
    {
        var sw = Stopwatch.StartNew();
        var r = (await database.ImportAsync(Path.Combine(vulndata, set), null, default)).Record;
        Console.WriteLine($"import {set}: {r.Added} advisories, {r.Warnings} warnings, {sw.Elapsed.TotalSeconds:0.00} s");
    }
    Console.WriteLine($"import total: {total.Elapsed.TotalSeconds:0.0} s");
    var again = Stopwatch.StartNew();
    var re = (await database.ImportAsync(Path.Combine(vulndata, "osv/go"), null, default)).Record;
    Console.WriteLine($"re-import osv/go unchanged: {re.Unchanged} unchanged, {re.Changed} changed, {again.Elapsed.TotalSeconds:0.00} s");

    var load = Stopwatch.StartNew();
    using var fresh = new AdvisoryDatabase(store, () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance);
    var index = await fresh.GetIndexAsync(default);
    Console.WriteLine($"index load: {index.AdvisoryCount} advisories, {index.KeyCount} keys, {load.Elapsed.TotalSeconds:0.00} s");

    // Real package lists.
    var deb = Stanzas(Path.Combine(vulndata, "debian/bookworm-minbase-status"), "Package", "Version", "Source");
    var apk = Stanzas(Path.Combine(vulndata, "alpine/installed/osv-scalibr-alpine-3.18.0/lib/apk/db/installed"), "P", "V", "o");
    var language = new Dictionary<string, List<(string Name, string Version)>>();
    foreach (var key in index.Keys.Where(k => k.Release is null && k.Type is PackageTypes.Npm or PackageTypes.Golang or PackageTypes.PyPI or PackageTypes.NuGet)
                 .OrderBy(k => k.Type, StringComparer.Ordinal).ThenBy(k => k.Name, StringComparer.Ordinal)) // the frozen key order follows per-process string hashes: sorted, every run builds the same inventories
    {
        var versions = index.Lookup(key).SelectMany(e => e.Package.Ranges.SelectMany(r => r)).Select(e => e.Version).Where(v => v != "0").Distinct().ToList();
        if (versions.Count == 0) continue;
        if (!language.TryGetValue(key.Type, out var list)) language[key.Type] = list = [];
        list.Add((key.Name, versions[random.Next(versions.Count)]));
    }
    var bookworm = new OsInfo("debian", "12", "bookworm", null);
    var alpine = new OsInfo("alpine", "3.18.4", null, null);
    var inventories = new List<ImageInventory>(n);
    long packageCount = 0;
    for (int i = 0; i < n; i++)
    {
        var packages = new List<ScanPackage>();
        OsInfo os;
        if (i % 3 != 2)
        {
            os = bookworm;
            foreach (var p in deb)
            {
                // One package in ten at an older point release of its version (positives), the rest as installed.
                string version = random.Next(10) == 0 && p.Version.Contains("+deb12u", StringComparison.Ordinal) ? p.Version[..p.Version.IndexOf("+deb12u", StringComparison.Ordinal)] : p.Version;
                string source = p.Source?.Split(' ')[0] ?? p.Name;
                packages.Add(new ScanPackage { Type = PackageTypes.Deb, Name = p.Name, Version = version, SourceName = source, Purl = $"pkg:deb/debian/{p.Name}@{version}", Path = "/var/lib/dpkg/status" });
            }
        }
        else
        {
            os = alpine;
            foreach (var p in apk)
                packages.Add(new ScanPackage { Type = PackageTypes.Apk, Name = p.Name, Version = p.Version, SourceName = p.Source ?? p.Name, Purl = $"pkg:apk/alpine/{p.Name}@{p.Version}", Path = "/lib/apk/db/installed" });
        }
        // An application layer: 20-60 packages of one ecosystem (npm, Go, PyPI or NuGet).
        var type = language.Keys.ElementAt(random.Next(language.Count));
        var pool = language[type];
        int count = random.Next(20, 61);
        for (int j = 0; j < count; j++)
        {
            var (name, version) = pool[random.Next(pool.Count)];
            packages.Add(new ScanPackage { Type = type, Name = name, Version = version, Purl = $"pkg:{type}/{name}@{version}", Path = "/app/lock" });
        }
        packageCount += packages.Count;
        inventories.Add(new ImageInventory { ManifestDigest = $"sha256:{i:x64}", Os = os, Packages = packages, Layers = [] });
    }
    Console.WriteLine($"inventories: {n}, {packageCount} packages ({packageCount / (double)n:0} per image)");

    // CPU seconds beside wall time: the machine is shared, and CPU is what load does not move much.
    var self = Process.GetCurrentProcess();
    double Cpu() { self.Refresh(); return self.TotalProcessorTime.TotalSeconds; }
    for (int round = 1; round <= 2; round++)
    {
        // A new index each round (as after an import): the first round fills its match memo, the second reuses it.
        var roundIndex = round == 1 ? index : await new AdvisoryDatabase(store, () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance).GetIndexAsync(default);
        double cpu = Cpu();
        long allocated = GC.GetTotalAllocatedBytes();
        var seq = Stopwatch.StartNew();
        long findings = 0;
        foreach (var inventory in inventories) findings += AdvisoryMatcher.Match(inventory, roundIndex).Count;
        Console.WriteLine($"round {round} sequential, fresh index: {findings} findings, {seq.Elapsed.TotalSeconds:0.00} s wall, {Cpu() - cpu:0.00} s CPU, {(GC.GetTotalAllocatedBytes() - allocated) / (1024 * 1024)} MiB allocated");
        cpu = Cpu();
        var par = Stopwatch.StartNew();
        long parallelFindings = 0;
        Parallel.ForEach(inventories, inventory => Interlocked.Add(ref parallelFindings, AdvisoryMatcher.Match(inventory, roundIndex).Count));
        Console.WriteLine($"round {round} parallel ({Environment.ProcessorCount} cores), same index: {parallelFindings} findings, {par.Elapsed.TotalSeconds:0.00} s wall, {Cpu() - cpu:0.00} s CPU");
    }

    {
        // Every finding of every inventory as one order-independent checksum (FNV-1a per finding, summed), to compare
        // builds (the memo must not change a single finding).
        var checkIndex = await new AdvisoryDatabase(store, () => [], TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance).GetIndexAsync(default);
        ulong checksum = 0;
        long count = 0;
        foreach (var inventory in inventories)
            foreach (var f in AdvisoryMatcher.Match(inventory, checkIndex))
            {
                count++;
                ulong h = 14695981039346656037;
                foreach (char c in string.Join('|', inventory.ManifestDigest, f.AdvisoryId, string.Join(',', f.Aliases), f.PackageType, f.PackageName, f.InstalledVersion,
                    f.FixedVersion, f.Severity, f.CvssScore, f.CvssVector, f.Status, f.StatusReason, f.Purl, f.Path, f.Summary))
                    h = (h ^ c) * 1099511628211;
                checksum += h;
            }
        Console.WriteLine($"checksum of {count} findings: {checksum:x16}");
    }
    // An incremental import (the re-match job's case): a newer osv/npm snapshot with one fixed version changed and one
    // advisory added; only the inventories holding a changed (type, name) are matched again (RematchJobHandler does
    // this through IScanStore.FindImagesWithPackagesAsync).
    string npm = Path.Combine(dir, "osv-npm-newer");
    Directory.CreateDirectory(npm);
    foreach (string file in Directory.EnumerateFiles(Path.Combine(vulndata, "osv/npm"), "*.json")) File.Copy(file, Path.Combine(npm, Path.GetFileName(file)));
    string lodashFile = Path.Combine(npm, "GHSA-p6mc-m468-83gw.json");
    if (File.Exists(lodashFile))
        File.WriteAllText(lodashFile, File.ReadAllText(lodashFile).Replace("\"fixed\": \"4.17.20\"", "\"fixed\": \"4.17.21\"", StringComparison.Ordinal));
    string added = Directory.EnumerateFiles(Path.Combine(vulndata, "osv/nuget"), "*.json").First();
    File.Copy(added, Path.Combine(npm, Path.GetFileName(added)));
    var incremental = Stopwatch.StartNew();
    double incrementalCpu = Cpu();
    var import = await database.ImportAsync(npm, new AdvisoryImportOptions { Feed = "osv:npm" }, default);
    var newIndex = await database.GetIndexAsync(default);
    var changed = import.ChangedKeys.Select(k => (k.Type, k.Name)).ToHashSet();
    var affected = inventories.Where(i => i.Packages.Any(p => changed.Contains((p.Type, AdvisoryKey.NormalizeName(p.Type, p.SourceName ?? p.Name))))).ToList();
    long rematched = 0;
    foreach (var inventory in affected) rematched += AdvisoryMatcher.Match(inventory, newIndex).Count;
    Console.WriteLine($"incremental import ({import.Record.Added} added, {import.Record.Changed} changed, {import.ChangedKeys.Count} keys) + re-match of the {affected.Count} inventories holding a changed key: {rematched} findings, {incremental.Elapsed.TotalSeconds:0.00} s wall, {Cpu() - incrementalCpu:0.00} s CPU");
    Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
    return 0;
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(dir, recursive: true);
}

static List<(string Name, string Version, string? Source)> Stanzas(string file, string nameKey, string versionKey, string sourceKey)
{
    var result = new List<(string, string, string?)>();
    foreach (string stanza in File.ReadAllText(file).Split("\n\n"))
    {
        var fields = stanza.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && l.Contains(':', StringComparison.Ordinal))
            .Select(l => l.Split(':', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        if (fields.TryGetValue(nameKey, out var name) && fields.TryGetValue(versionKey, out var version))
            result.Add((name, version, fields.GetValueOrDefault(sourceKey)));
    }
    return result;
}
