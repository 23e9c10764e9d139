using System.Buffers.Binary;
using System.Text;
using Bollard.Core.Scanning;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Packages;
using Microsoft.Data.Sqlite;

namespace Bollard.Scanning.Analyzers.Os;

/// <summary>
/// RPM packages from an SQLite rpm database (<c>/var/lib/rpm/rpmdb.sqlite</c>, <c>/usr/lib/sysimage/rpm/rpmdb.sqlite</c>:
/// Fedora 33+, RHEL 9, CentOS Stream 9, Amazon Linux 2023). The file is copied to a private temporary folder and
/// opened read-only and immutable (no journal, no lock, nothing written beside it); each row of the <c>Packages</c>
/// table is an rpm header blob (rpm <c>lib/header.c</c>: big-endian index count and data length, 16-byte index
/// entries of tag, type, offset, count, then the data store), from which NAME (1000), VERSION (1001), RELEASE (1002),
/// EPOCH (1003), LICENSE (1014), ARCH (1022) and SOURCERPM (1044) are read, bounds-checked. <c>gpg-pubkey</c> entries
/// are keys, not packages. Berkeley DB and NDB databases (older distributions) are not read. A database with a
/// non-empty <c>-wal</c> beside it in the image may miss its newest rows (the WAL is not in the copy).
/// </summary>
public sealed class RpmAnalyzer : IFileAnalyzer
{
    private const int TagName = 1000, TagVersion = 1001, TagRelease = 1002, TagEpoch = 1003, TagLicense = 1014, TagArch = 1022, TagSourceRpm = 1044;
    private const int TypeInt32 = 4, TypeString = 6, TypeStringArray = 8, TypeI18nString = 9;

    public string Name => "rpm";

    public bool Wants(string path, long size, int mode) => path is "/var/lib/rpm/rpmdb.sqlite" or "/usr/lib/sysimage/rpm/rpmdb.sqlite";

    public async ValueTask<FileAnalysis> AnalyzeAsync(AnalyzedFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        var dir = Directory.CreateTempSubdirectory("bollard-rpmdb-");
        try
        {
            string copy = Path.Combine(dir.FullName, "rpmdb.sqlite");
            var target = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                await file.Content.CopyToAsync(target, ct).ConfigureAwait(false);
            }

            return await ReadAsync(copy, file, ct).ConfigureAwait(false);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the OS temp cleaner gets it.
            }
        }
    }

    private static async Task<FileAnalysis> ReadAsync(string path, AnalyzedFile file, CancellationToken ct)
    {
        var packages = new List<ScanPackage>();
        var warnings = new List<string>();
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = new Uri(path).AbsoluteUri + "?immutable=1",
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        };
        try
        {
            var connection = new SqliteConnection(builder.ConnectionString);
            await using (connection.ConfigureAwait(false))
            {
                await connection.OpenAsync(ct).ConfigureAwait(false);
                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = "SELECT hnum, blob FROM Packages ORDER BY hnum";
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            if (packages.Count >= file.Limits.MaxPackagesPerFile)
                            {
                                warnings.Add($"more than {file.Limits.MaxPackagesPerFile} packages (limit MaxPackagesPerFile): the rest skipped");
                                break;
                            }

                            long hnum = reader.GetInt64(0);
                            byte[] blob = reader.IsDBNull(1) ? [] : (byte[])reader.GetValue(1);
                            var header = ParseHeader(blob);
                            if (header is null)
                            {
                                warnings.Add($"package row {hnum}: not a valid rpm header: skipped");
                                continue;
                            }

                            if (ToPackage(header, file.Path) is { } package)
                            {
                                packages.Add(package);
                            }
                            else if (header.GetValueOrDefault(TagName) as string != "gpg-pubkey")
                            {
                                warnings.Add($"package row {hnum}: no NAME or VERSION: skipped");
                            }
                        }
                    }
                }
            }
        }
        catch (SqliteException e)
        {
            warnings.Add($"not a readable rpm SQLite database: {e.Message}");
        }

        return new FileAnalysis { Packages = packages, Warnings = warnings };
    }

    private static ScanPackage? ToPackage(Dictionary<int, object> h, string path)
    {
        string? name = h.GetValueOrDefault(TagName) as string;
        string? version = h.GetValueOrDefault(TagVersion) as string;
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version) || name == "gpg-pubkey")
        {
            return null;
        }

        string? release = h.GetValueOrDefault(TagRelease) as string;
        int? epoch = h.GetValueOrDefault(TagEpoch) as int?;
        string? arch = h.GetValueOrDefault(TagArch) as string;
        string? license = h.GetValueOrDefault(TagLicense) as string;
        string evr = string.IsNullOrEmpty(release) ? version : version + "-" + release;
        var (sourceName, sourceVersion) = ParseSourceRpm(h.GetValueOrDefault(TagSourceRpm) as string);
        return new ScanPackage
        {
            Type = PackageTypes.Rpm,
            Name = name,
            Version = epoch is > 0 ? $"{epoch}:{evr}" : evr,
            SourceName = sourceName ?? name,
            SourceVersion = sourceVersion,
            Licenses = string.IsNullOrEmpty(license) ? [] : [license],
            Purl = Purls.Build(PackageTypes.Rpm, "redhat", name, evr, ("arch", arch), ("epoch", epoch is > 0 ? epoch.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : null)),
            Path = path,
        };
    }

    /// <summary><c>glibc-2.34-60.el9.src.rpm</c> is (glibc, 2.34-60.el9).</summary>
    internal static (string? Name, string? Version) ParseSourceRpm(string? sourceRpm)
    {
        if (string.IsNullOrEmpty(sourceRpm))
        {
            return (null, null);
        }

        string s = sourceRpm.EndsWith(".src.rpm", StringComparison.Ordinal) ? sourceRpm[..^8] : sourceRpm.EndsWith(".nosrc.rpm", StringComparison.Ordinal) ? sourceRpm[..^10] : sourceRpm;
        int releaseDash = s.LastIndexOf('-');
        int versionDash = releaseDash > 0 ? s.LastIndexOf('-', releaseDash - 1) : -1;
        return versionDash <= 0 ? (null, null) : (s[..versionDash], s[(versionDash + 1)..]);
    }

    /// <returns>Tag to value (string, or int for INT32) for the tags read; null when the blob is not a well-formed header.</returns>
    internal static Dictionary<int, object>? ParseHeader(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8)
        {
            return null;
        }

        long il = BinaryPrimitives.ReadInt32BigEndian(blob);
        long dl = BinaryPrimitives.ReadInt32BigEndian(blob[4..]);
        if (il <= 0 || dl < 0 || 8 + (il * 16) + dl > blob.Length)
        {
            return null;
        }

        var data = blob.Slice(8 + (int)(il * 16), (int)dl);
        var values = new Dictionary<int, object>();
        for (int i = 0; i < il; i++)
        {
            var entry = blob.Slice(8 + (i * 16), 16);
            int tag = BinaryPrimitives.ReadInt32BigEndian(entry);
            int type = BinaryPrimitives.ReadInt32BigEndian(entry[4..]);
            int offset = BinaryPrimitives.ReadInt32BigEndian(entry[8..]);
            if (tag is not (TagName or TagVersion or TagRelease or TagEpoch or TagLicense or TagArch or TagSourceRpm))
            {
                continue;
            }

            if (offset < 0 || offset >= data.Length)
            {
                return null;
            }

            if (type == TypeInt32)
            {
                if (offset + 4 > data.Length)
                {
                    return null;
                }

                values[tag] = BinaryPrimitives.ReadInt32BigEndian(data[offset..]);
            }
            else if (type is TypeString or TypeStringArray or TypeI18nString)
            {
                var rest = data[offset..];
                int nul = rest.IndexOf((byte)0);
                if (nul < 0)
                {
                    return null;
                }

                values[tag] = Encoding.UTF8.GetString(rest[..nul]);
            }
        }

        return values;
    }
}
