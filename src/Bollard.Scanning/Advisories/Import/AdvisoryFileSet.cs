using System.IO.Compression;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>
/// The files of an import path: a directory (recursively, symlinks not followed) or a zip archive (entries in archive
/// order). Bounded: at most <see cref="MaxFiles"/> files, each read up to <see cref="MaxFileBytes"/> (a larger file,
/// or a zip entry that inflates past it, is skipped with a warning, never read whole), at most
/// <see cref="MaxTotalBytes"/> in all.
/// </summary>
public sealed class AdvisoryFileSet : IDisposable
{
    public const int MaxFiles = 2_000_000;
    public const long MaxFileBytes = 64L * 1024 * 1024;
    public const long MaxTotalBytes = 16L * 1024 * 1024 * 1024;

    private readonly ZipArchive? _zip;
    private readonly string _root;

    private AdvisoryFileSet(string root, ZipArchive? zip, string name)
    {
        _root = root;
        _zip = zip;
        Name = name;
    }

    /// <summary>The folder's or zip's name (without <c>.zip</c>): the default feed name.</summary>
    public string Name { get; }

    /// <exception cref="FileNotFoundException">The path is neither a directory nor a file.</exception>
    /// <exception cref="InvalidDataException">The file is not a zip archive.</exception>
    public static AdvisoryFileSet Open(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            string trimmed = Path.TrimEndingDirectorySeparator(full);
            return new AdvisoryFileSet(trimmed, null, Path.GetFileName(trimmed));
        }
        if (!File.Exists(full)) throw new FileNotFoundException($"advisory import: no such file or directory: {path}", path);
        var stream = File.OpenRead(full);
        try
        {
            var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
            string name = Path.GetFileName(full);
            if (name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) name = name[..^4];
            return new AdvisoryFileSet(full, zip, name);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new InvalidDataException($"advisory import: {path} is neither a directory nor a zip archive ({e.Message})", e);
        }
    }

    public IEnumerable<AdvisoryFile> Files()
    {
        int count = 0;
        if (_zip is not null)
        {
            foreach (var entry in _zip.Entries)
            {
                if (entry.FullName.EndsWith('/') || entry.Name.Length == 0) continue;
                if (++count > MaxFiles) yield break;
                var e = entry;
                yield return new AdvisoryFile(entry.FullName.Replace('\\', '/').TrimStart('/'), entry.Length, () => e.Open());
            }
            yield break;
        }
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var file in new DirectoryInfo(_root).EnumerateFiles("*", options).OrderBy(f => f.FullName, StringComparer.Ordinal))
        {
            if (++count > MaxFiles) yield break;
            string relative = Path.GetRelativePath(_root, file.FullName).Replace('\\', '/');
            var f = file;
            yield return new AdvisoryFile(relative, file.Length, () => f.OpenRead());
        }
    }

    /// <summary>Reads a file whole, or null (with a warning) when it is over <see cref="MaxFileBytes"/> or unreadable.</summary>
    public static async Task<byte[]?> ReadBoundedAsync(AdvisoryFile file, AdvisoryImportContext context, CancellationToken ct)
    {
        if (file.Length > MaxFileBytes)
        {
            context.Warn($"{file.RelativePath}: skipped, {file.Length} bytes is over the {MaxFileBytes} byte limit");
            return null;
        }
        try
        {
            await using var stream = file.Open();
            using var buffer = new MemoryStream((int)Math.Min(Math.Max(file.Length, 0), MaxFileBytes) + 1);
            byte[] chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxFileBytes)
                {
                    context.Warn($"{file.RelativePath}: skipped, more than {MaxFileBytes} bytes");
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            context.Warn($"{file.RelativePath}: unreadable ({e.Message})");
            return null;
        }
    }

    public void Dispose() => _zip?.Dispose();
}
