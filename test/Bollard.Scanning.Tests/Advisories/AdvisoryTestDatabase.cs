using Bollard.Scanning.Advisories;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bollard.Scanning.Tests.Advisories;

/// <summary>A real advisory database over a SQLite file in a temp folder, and the shared vulndata paths.</summary>
public sealed class AdvisoryTestDatabase : IDisposable
{
    private readonly SqliteDatabase _db;

    public AdvisoryTestDatabase(params IAdvisoryImportListener[] listeners)
    {
        Dir = Directory.CreateTempSubdirectory("bollard-advisories-").FullName;
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(Dir, "bollard.db") });
        Store = new SqliteAdvisoryStore(_db);
        Database = new AdvisoryDatabase(Store, () => listeners, TimeProvider.System, NullLogger<AdvisoryDatabase>.Instance);
    }

    public string Dir { get; }

    public SqliteAdvisoryStore Store { get; }

    public AdvisoryDatabase Database { get; }

    public static string Data(string relative) => SharedData.VulnData(relative.Split('/'));

    /// <summary>A writable copy of a vulndata folder under the temp folder.</summary>
    public string CopyOf(string relative, string? name = null)
    {
        string source = Data(relative);
        string target = Path.Combine(Dir, name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(source)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
            File.SetAttributes(to, FileAttributes.Normal);
        }
        return target;
    }

    public void Dispose()
    {
        Database.Dispose();
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
