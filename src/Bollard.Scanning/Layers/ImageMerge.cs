using Bollard.Core.Scanning;
using Bollard.Scanning.Packages;

namespace Bollard.Scanning.Layers;

/// <summary>
/// Merges layer indexes bottom-up into the image's inventory and size report, without reading a layer.
/// A package is in the image when the file it was read from is in the final view. Its
/// <see cref="ScanPackage.LayerDigest"/> is the lowest layer from which it stayed: walking up, a layer that rewrites
/// the file (a dpkg <c>status</c> rewritten by every <c>apt-get install</c>) keeps the package's layer when the new
/// file still lists the same package (same analyzer, type, name, version and purl); a version change or a file that no
/// longer lists it starts over, and a whiteout or opaque directory removing the file removes its packages.
/// The distribution is <c>/etc/os-release</c> resolved through symlinks in the view (else <c>/usr/lib/os-release</c>),
/// and it is put on every OS package's purl here (namespace and <c>distro</c>).
/// </summary>
internal static class ImageMerge
{
    /// <summary>Entries in the largest-files and wasted-files lists.</summary>
    public const int TopFiles = 20;

    private static readonly HashSet<string> OsTypes = [PackageTypes.Deb, PackageTypes.Apk, PackageTypes.Rpm];

    public static (ImageInventory Inventory, ImageSizeReport Size) Merge(ImageToScan image, IReadOnlyList<LayerIndex> layers, ImageConfig config, IReadOnlyList<string> extraWarnings)
    {
        var view = new MergedView();
        var tracked = new Dictionary<string, Tracked>(StringComparer.Ordinal);
        var wasted = new TopN<WastedFile>(TopFiles, w => w.Size);
        long wastedBytes = 0;
        int currentLayer = 0;
        view.Removed += (path, node, layer, deleted) =>
        {
            if (node.Kind is EntryKind.File or EntryKind.HardLink)
            {
                tracked.Remove(path);
            }

            if (node.Kind == EntryKind.File && node.Size > 0 && node.Layer >= 0)
            {
                wastedBytes += node.Size;
                wasted.Add(new WastedFile(path, node.Size, layers[node.Layer].Digest, layers[layer].Digest, deleted));
            }
        };

        for (currentLayer = 0; currentLayer < layers.Count; currentLayer++)
        {
            var layer = layers[currentLayer];
            foreach (var dir in layer.OpaqueDirs)
            {
                view.Clear(dir, currentLayer);
            }

            foreach (var path in layer.Whiteouts)
            {
                view.Delete(path, currentLayer);
            }

            var byPath = layer.Analyses.GroupBy(a => a.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            foreach (var entry in layer.Entries)
            {
                bool file = entry.Kind is EntryKind.File or EntryKind.HardLink;
                var previous = file ? tracked.GetValueOrDefault(entry.Path) : null;
                view.Put(entry, currentLayer);
                if (file && byPath.TryGetValue(entry.Path, out var analyses))
                {
                    tracked[entry.Path] = Tracked.After(previous, currentLayer, analyses);
                }
            }
        }

        var os = FindOs(view, tracked);
        var packages = new List<ScanPackage>();
        var warnings = new List<string>(extraWarnings);
        if (config.Warning is not null)
        {
            warnings.Add(config.Warning);
        }

        foreach (var layer in layers)
        {
            warnings.AddRange(layer.Warnings.Select(w => $"layer {layer.Digest}: {w}"));
        }

        foreach (var (path, t) in tracked.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            foreach (var analysis in t.Analyses)
            {
                warnings.AddRange(analysis.Result.Warnings.Select(w => $"{path} ({analysis.Analyzer}): {w}"));
                foreach (var p in analysis.Result.Packages)
                {
                    int introduced = t.Introduced.GetValueOrDefault(Tracked.Key(analysis.Analyzer, p), t.Layer);
                    packages.Add(p with
                    {
                        LayerDigest = layers[introduced].Digest,
                        Purl = os is not null && OsTypes.Contains(p.Type) ? Purls.WithDistro(p.Purl, p.Type, os) : p.Purl,
                    });
                }
            }
        }

        DropLockEntriesOfInstalledPackages(packages);
        packages.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.Type, b.Type);
            if (c == 0) c = string.CompareOrdinal(a.Name, b.Name);
            if (c == 0) c = string.CompareOrdinal(a.Version, b.Version);
            return c != 0 ? c : string.CompareOrdinal(a.Path, b.Path);
        });

        var inventoryLayers = new List<InventoryLayer>();
        for (int i = 0; i < layers.Count; i++)
        {
            var d = image.Layers[i];
            inventoryLayers.Add(new InventoryLayer(d.Digest.ToString(), d.MediaType, d.Size, layers[i].UncompressedSize, config.CreatedByOf(i)));
        }

        var inventory = new ImageInventory
        {
            ManifestDigest = image.ManifestDigest,
            Platform = config.Platform,
            Os = os,
            Packages = packages,
            Layers = inventoryLayers,
            Warnings = warnings,
            EngineVersion = ScanEngine.Version,
        };

        var largest = new TopN<SizedFile>(TopFiles, f => f.Size);
        long finalBytes = 0;
        int finalCount = 0;
        foreach (var (path, node) in view.Files())
        {
            finalBytes += node.Size;
            finalCount++;
            largest.Add(new SizedFile(path, node.Size, layers[node.Layer].Digest));
        }

        var sizeLayers = new List<LayerSize>();
        for (int i = 0; i < layers.Count; i++)
        {
            var files = layers[i].Entries.Where(e => e.Kind == EntryKind.File).ToList();
            sizeLayers.Add(new LayerSize(layers[i].Digest, image.Layers[i].Size, layers[i].UncompressedSize, config.CreatedByOf(i), files.Count, files.Sum(f => f.Size), false));
        }

        var size = SizeReports.WithSharedLayers(
            new ImageSizeReport
            {
                ManifestDigest = image.ManifestDigest,
                CompressedSize = image.Layers.Sum(l => l.Size),
                UncompressedSize = layers.Sum(l => l.UncompressedSize ?? 0),
                FinalFilesSize = finalBytes,
                FinalFileCount = finalCount,
                Layers = sizeLayers,
                LargestFiles = largest.Sorted(),
                WastedBytes = wastedBytes,
                WastedFiles = wasted.Sorted(),
            },
            image.SharedLayerDigests);
        return (inventory, size);
    }

    /// <summary>
    /// One npm package installed in a project is listed twice: by its <c>node_modules/**/package.json</c> and by the
    /// project's <c>package-lock.json</c>. The installed copy is the truth (its layer, its licence), so a lock-file
    /// entry is dropped when the same name and version is installed under that lock file's own <c>node_modules</c>;
    /// a lock entry with nothing installed (a lock file copied without <c>npm ci</c>) stays, and two projects that each
    /// install the package keep a package each. Without this every npm finding would be reported twice.
    /// </summary>
    private static void DropLockEntriesOfInstalledPackages(List<ScanPackage> packages)
    {
        var installed = new HashSet<(string Name, string Version, string ProjectDir)>();
        foreach (var p in packages)
        {
            if (p.Type != PackageTypes.Npm || !p.Path.EndsWith("/package.json", StringComparison.Ordinal)) continue;
            int nm = p.Path.IndexOf("/node_modules/", StringComparison.Ordinal);
            if (nm >= 0) installed.Add((p.Name, p.Version, p.Path[..nm]));
        }
        if (installed.Count == 0) return;
        packages.RemoveAll(p =>
            p.Type == PackageTypes.Npm
            && IsNpmLockFile(p.Path)
            && installed.Contains((p.Name, p.Version, p.Path[..p.Path.LastIndexOf('/')])));
    }

    /// <summary>npm's, Yarn's and pnpm's lock files: each lists what the project's node_modules holds.</summary>
    private static bool IsNpmLockFile(string path) =>
        path.EndsWith("/package-lock.json", StringComparison.Ordinal) || path.EndsWith("/yarn.lock", StringComparison.Ordinal)
        || path.EndsWith("/pnpm-lock.yaml", StringComparison.Ordinal);

    private static OsInfo? FindOs(MergedView view, Dictionary<string, Tracked> tracked)
    {
        foreach (var candidate in (string[])["/etc/os-release", "/usr/lib/os-release"])
        {
            if (view.Resolve(candidate) is { Node.Kind: EntryKind.File or EntryKind.HardLink } resolved
                && tracked.TryGetValue(resolved.Path, out var t)
                && t.Analyses.Select(a => a.Result.Os).FirstOrDefault(o => o is not null) is { } os)
            {
                return os;
            }
        }

        return null;
    }

    /// <summary>An analyzed file in the view: its analyses, and per package the layer it stayed from.</summary>
    private sealed class Tracked(int layer, List<PathAnalysis> analyses, Dictionary<string, int> introduced)
    {
        public int Layer { get; } = layer;

        public List<PathAnalysis> Analyses { get; } = analyses;

        public Dictionary<string, int> Introduced { get; } = introduced;

        public static string Key(string analyzer, ScanPackage p) => string.Join('\n', analyzer, p.Type, p.Name, p.Version, p.Purl);

        public static Tracked After(Tracked? previous, int layer, List<PathAnalysis> analyses)
        {
            var introduced = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var a in analyses)
            {
                foreach (var p in a.Result.Packages)
                {
                    string key = Key(a.Analyzer, p);
                    introduced.TryAdd(key, previous is not null && previous.Introduced.TryGetValue(key, out int was) ? was : layer);
                }
            }

            return new Tracked(layer, analyses, introduced);
        }
    }

    /// <summary>The <c>n</c> largest items seen (a min-heap: bounded memory whatever the file count).</summary>
    private sealed class TopN<T>(int n, Func<T, long> size)
    {
        private readonly PriorityQueue<T, long> heap = new();

        public void Add(T item)
        {
            long s = size(item);
            if (heap.Count < n)
            {
                heap.Enqueue(item, s);
            }
            else if (heap.TryPeek(out _, out long smallest) && s > smallest)
            {
                heap.DequeueEnqueue(item, s);
            }
        }

        public List<T> Sorted() => [.. heap.UnorderedItems.OrderByDescending(i => i.Priority).Select(i => i.Element)];
    }
}
