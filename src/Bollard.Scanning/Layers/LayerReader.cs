using System.Formats.Tar;
using System.IO.Compression;
using Bollard.Core.Oci;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Layers;

/// <summary>
/// Reads one layer blob, once, forward, into a <see cref="LayerIndex"/>: verifies size and digest while reading
/// (the blob source is untrusted), decompresses by media type confirmed by magic bytes, walks the tar with
/// <see cref="TarReader"/> (PAX and GNU long names), records the file table, whiteouts and opaque directories, and
/// gives every regular file that an analyzer wants to that analyzer. Nothing is written to disk except a temporary
/// copy of a file that several analyzers want and that is larger than <see cref="ScanLimits.MaxInMemoryFileBytes"/>.
/// Every failure ends as a warning in the index.
/// </summary>
internal sealed class LayerReader(IReadOnlyList<IFileAnalyzer> analyzers, ScanLimits limits, TimeProvider time)
{
    public async Task<LayerIndex> ReadAsync(Descriptor layer, IBlobSource blobs, Action<long>? bytesRead, CancellationToken ct)
    {
        var index = new LayerIndex { Digest = layer.Digest.ToString() };
        var state = new WalkState(index, limits.MaxWarningsPerLayer);
        VerifyingStream? verifying = null;
        try
        {
            verifying = new VerifyingStream(await blobs.OpenAsync(layer, ct).ConfigureAwait(false), layer);
            await ReadTarAsync(layer, verifying, state, bytesRead, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            state.Failed = true;
            bool trust = e is not LayerReadException { TrustPartial: false };
            string message = e switch
            {
                LayerReadException => e.Message,
                // System.Formats.Tar reads GNU sparse entries ('S', GNU tar --sparse) no further than their header.
                NotSupportedException => $"unreadable from here on ({e.Message}): rest of the layer skipped",
                // A tar stream cut short, often only its padding and end-of-archive blocks (Debian's umoci 0.4.7 writes
                // such layers with `umoci insert`; GNU tar says "Unexpected EOF in archive" about them too).
                EndOfStreamException => "the tar stream ends early (truncated, or no end-of-archive marker): the entries before the end were analyzed",
                _ => $"unreadable ({e.GetType().Name}: {e.Message})",
            };

            // Say why when the bytes themselves were wrong: a truncated or substituted blob explains a corrupt stream.
            if (verifying is not null && e is not LayerReadException)
            {
                try
                {
                    await verifying.DrainAndVerifyAsync(ct).ConfigureAwait(false);
                }
                catch (LayerReadException v)
                {
                    message += "; " + v.Message;
                    trust &= v.TrustPartial;
                }
                catch (Exception d) when (d is IOException or InvalidDataException)
                {
                    message += "; the blob source failed: " + d.Message;
                }
            }

            if (!trust)
            {
                index.Entries.Clear();
                index.Whiteouts.Clear();
                index.OpaqueDirs.Clear();
                state.Analyses.Clear();
            }

            state.Warn(message);
        }
        finally
        {
            if (verifying is not null)
            {
                await verifying.DisposeAsync().ConfigureAwait(false);
            }
        }

        foreach (var list in state.Analyses.Values)
        {
            index.Analyses.AddRange(list);
        }

        index.Complete = !state.Failed;
        return index;
    }

    private async Task ReadTarAsync(Descriptor layer, VerifyingStream verifying, WalkState state, Action<long>? bytesRead, CancellationToken ct)
    {
        byte[] head = await PrefixedStream.PeekAsync(verifying, 512, ct).ConfigureAwait(false);
        if (head.Length == 0)
        {
            verifying.Verify();
            state.Index.UncompressedSize = 0;
            return;
        }

        var declared = LayerCompressions.FromMediaType(layer.MediaType);
        var actual = LayerCompressions.FromMagic(head);
        LayerCompression compression;
        if (actual is { } found)
        {
            compression = found;
            if (declared is { } said && said != found)
            {
                state.Warn($"media type {layer.MediaType} says {said.Name()} but the content is {found.Name()}: read as {found.Name()}");
            }
            else if (declared is null)
            {
                state.Warn($"media type {layer.MediaType} is not a tar layer type; the content is {found.Name()}: read as such");
            }
        }
        else if (declared is LayerCompression.None)
        {
            compression = LayerCompression.None; // a V7 tar has no magic: let the tar reader judge
        }
        else
        {
            throw new LayerReadException(
                $"media type {layer.MediaType} but the content is neither gzip, zstd nor tar (first bytes {Convert.ToHexString(head.AsSpan(0, Math.Min(8, head.Length)))}): layer not read",
                trustPartial: true);
        }

        Stream raw = new PrefixedStream(head, verifying);
        Stream decompressed = compression switch
        {
            LayerCompression.Gzip => new GZipStream(raw, CompressionMode.Decompress),
            LayerCompression.Zstd => new ZstdSharp.DecompressionStream(raw),
            _ => raw,
        };
        await using (decompressed.ConfigureAwait(false))
        {
            var tar = new BoundedTarStream(decompressed, verifying, limits, compression != LayerCompression.None);
            var reader = new TarReader(tar, leaveOpen: true);
            await using (reader.ConfigureAwait(false))
            {
                int entries = 0;
                while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    if (++entries > limits.MaxFilesPerLayer)
                    {
                        throw new LayerReadException($"more than {limits.MaxFilesPerLayer} entries (limit MaxFilesPerLayer): rest of the layer skipped", trustPartial: true);
                    }

                    await ReadEntryAsync(entry, state, ct).ConfigureAwait(false);
                    bytesRead?.Invoke(verifying.BytesRead);
                }
            }

            await tar.DrainAsync(ct).ConfigureAwait(false);
            await verifying.DrainAndVerifyAsync(ct).ConfigureAwait(false);
            bytesRead?.Invoke(verifying.BytesRead);
            state.Index.UncompressedSize = tar.BytesRead;
        }
    }

    private async Task ReadEntryAsync(TarEntry entry, WalkState state, CancellationToken ct)
    {
        string name = entry.Name;
        long size = entry.Length;
        bool sparse = entry.EntryType == TarEntryType.SparseFile;
        if (entry is PaxTarEntry pax)
        {
            // GNU tar --sparse --format=pax: the real name and size are in the extended header, the data is the sparse map.
            if (pax.ExtendedAttributes.TryGetValue("GNU.sparse.name", out var sparseName))
            {
                name = sparseName;
                sparse = true;
            }

            if (pax.ExtendedAttributes.TryGetValue("GNU.sparse.realsize", out var real) && long.TryParse(real, out long realSize))
            {
                size = realSize;
                sparse = true;
            }
        }

        if (name.Length > limits.MaxPathLength)
        {
            state.Warn($"entry name of {name.Length} characters (limit MaxPathLength {limits.MaxPathLength}): skipped");
            return;
        }

        string path = LayerPath.Normalize(name, out bool escaped);
        if (escaped)
        {
            state.Warn($"entry '{Shorten(name)}' climbs above the root: read as {path}");
        }

        if (path == "/")
        {
            return;
        }

        string baseName = LayerPath.Name(path);
        if (baseName.StartsWith(".wh.", StringComparison.Ordinal))
        {
            string dir = LayerPath.Parent(path);
            if (baseName == ".wh..wh..opq")
            {
                state.Index.OpaqueDirs.Add(dir);
            }
            else if (baseName.Length > 4)
            {
                state.Index.Whiteouts.Add(LayerPath.Combine(dir, baseName[4..]));
            }

            return;
        }

        int mode = (int)entry.Mode;
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                state.Add(new LayerEntry(path, EntryKind.Directory, 0, null));
                return;
            case TarEntryType.SymbolicLink:
                state.Add(new LayerEntry(path, EntryKind.Symlink, 0, entry.LinkName));
                return;
            case TarEntryType.HardLink:
                AddHardLink(path, LayerPath.Normalize(entry.LinkName, out _), mode, state);
                return;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile or TarEntryType.SparseFile:
                break;
            default:
                state.Add(new LayerEntry(path, EntryKind.Other, 0, null));
                return;
        }

        state.Add(new LayerEntry(path, EntryKind.File, size, null));
        state.FileSizes[path] = (size, mode);
        state.Analyses.Remove(path); // a later entry of the same path replaces the earlier one

        List<IFileAnalyzer>? wanted = null;
        foreach (var analyzer in analyzers)
        {
            if (analyzer.Wants(path, size, mode))
            {
                (wanted ??= []).Add(analyzer);
            }
        }

        if (wanted is null)
        {
            return;
        }

        if (sparse)
        {
            state.Warn($"{path}: sparse file ({size} bytes apparent): not analyzed");
            return;
        }

        if (size > limits.MaxAnalyzedFileBytes)
        {
            state.Warn($"{path}: {size} bytes (limit MaxAnalyzedFileBytes {limits.MaxAnalyzedFileBytes}): not analyzed");
            return;
        }

        Stream data = entry.DataStream ?? Stream.Null;
        if (wanted.Count == 1)
        {
            await RunAsync(wanted[0], path, size, mode, new NonClosingStream(data), state, ct).ConfigureAwait(false);
            return;
        }

        // Several analyzers want the file: one seekable copy, each reads it from the start.
        var holder = new AnalyzedFile(path, size, mode, data, limits);
        try
        {
            Stream copy = await holder.OpenSeekableAsync(ct).ConfigureAwait(false);
            foreach (var analyzer in wanted)
            {
                copy.Position = 0;
                await RunAsync(analyzer, path, size, mode, new NonClosingStream(copy), state, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await holder.ReleaseAsync().ConfigureAwait(false);
        }
    }

    private void AddHardLink(string path, string target, int mode, WalkState state)
    {
        // A hard link's content is its target's (an earlier entry of this layer): copy the target's results.
        long size = state.FileSizes.TryGetValue(target, out var t) ? t.Size : 0;
        state.Add(new LayerEntry(path, EntryKind.HardLink, size, target));
        state.Analyses.Remove(path);
        foreach (var analyzer in analyzers)
        {
            if (!analyzer.Wants(path, size, mode))
            {
                continue;
            }

            var result = state.Analyses.TryGetValue(target, out var list) ? list.Find(a => a.Analyzer == analyzer.Name) : null;
            if (result is not null)
            {
                var copied = result.Result with { Packages = [.. result.Result.Packages.Select(p => p with { Path = path })] };
                state.Record(path, analyzer.Name, copied);
            }
            else if (!state.FileSizes.ContainsKey(target))
            {
                state.Warn($"{path}: hard link to {target}, which is not in this layer: not analyzed by {analyzer.Name}");
            }
        }
    }

    private async Task RunAsync(IFileAnalyzer analyzer, string path, long size, int mode, Stream content, WalkState state, CancellationToken ct)
    {
        var file = new AnalyzedFile(path, size, mode, content, limits);
        using var timeout = new CancellationTokenSource(limits.MaxAnalyzerTime, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            var result = await analyzer.AnalyzeAsync(file, linked.Token).ConfigureAwait(false);
            if (result.Packages.Count > limits.MaxPackagesPerFile)
            {
                result = result with
                {
                    Packages = [.. result.Packages.Take(limits.MaxPackagesPerFile)],
                    Warnings = [.. result.Warnings, $"{result.Packages.Count} packages (limit MaxPackagesPerFile {limits.MaxPackagesPerFile}): the rest dropped"],
                };
            }

            if (result.Packages.Count > 0 || result.Os is not null || result.Warnings.Count > 0)
            {
                state.Record(path, analyzer.Name, result);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            state.Warn($"{path}: analyzer {analyzer.Name} took longer than {limits.MaxAnalyzerTime} (limit MaxAnalyzerTime): cancelled");
        }
        catch (LayerReadException)
        {
            throw; // the layer stream itself failed (a limit, a wrong digest): not the analyzer's fault
        }
        catch (Exception e)
        {
            state.Warn($"{path}: analyzer {analyzer.Name} failed ({e.GetType().Name}: {e.Message})");
        }
        finally
        {
            await file.ReleaseAsync().ConfigureAwait(false);
        }
    }

    private static string Shorten(string s) => s.Length <= 200 ? s : s[..200] + "...";

    private sealed class WalkState(LayerIndex index, int maxWarnings)
    {
        private int dropped;

        public LayerIndex Index { get; } = index;

        public Dictionary<string, List<PathAnalysis>> Analyses { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (long Size, int Mode)> FileSizes { get; } = new(StringComparer.Ordinal);

        public bool Failed { get; set; }

        public void Add(LayerEntry entry) => Index.Entries.Add(entry);

        public void Record(string path, string analyzer, FileAnalysis result)
        {
            if (!Analyses.TryGetValue(path, out var list))
            {
                Analyses[path] = list = [];
            }

            list.Add(new PathAnalysis(path, analyzer, result));
        }

        public void Warn(string message)
        {
            if (Index.Warnings.Count < maxWarnings)
            {
                Index.Warnings.Add(message);
                return;
            }

            dropped++;
            string more = $"{dropped} more warnings dropped (limit MaxWarningsPerLayer {maxWarnings})";
            if (dropped == 1)
            {
                Index.Warnings.Add(more);
            }
            else
            {
                Index.Warnings[^1] = more;
            }
        }
    }
}
