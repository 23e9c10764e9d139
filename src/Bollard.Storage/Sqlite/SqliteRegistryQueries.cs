using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>Reads shared by the pooled read side and the write transaction (<c>tx</c> null on a read connection).</summary>
internal static class SqliteRegistryQueries
{
    // Well under SQLite's default limit of 32766 host parameters per statement.
    private const int Chunk = 500;

    public static async Task<ReferenceCheck> FindMissingAsync(
        SqliteConnection c, SqliteTransaction? tx, RepositoryName repository, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests)
    {
        // The generation is read before the references, so a removal that the checks below miss moves it.
        var repo = await c.QuerySingleOrDefaultAsync<RepositoryRow>(
            "SELECT id AS Id, generation AS Generation FROM repositories WHERE name = @name", new { name = repository.Value }, tx).ConfigureAwait(false);
        if (repo is null) return new ReferenceCheck(blobs.ToList(), manifests.ToList(), 0);
        var missingBlobs = await MissingAsync(c, tx, "SELECT digest FROM repository_blobs WHERE repository_id = @id AND digest IN @ds", repo.Id, blobs).ConfigureAwait(false);
        var missingManifests = await MissingAsync(c, tx, "SELECT digest FROM manifests WHERE repository_id = @id AND digest IN @ds", repo.Id, manifests).ConfigureAwait(false);
        return new ReferenceCheck(missingBlobs, missingManifests, repo.Generation);
    }

    private static async Task<List<Digest>> MissingAsync(SqliteConnection c, SqliteTransaction? tx, string sql, long id, IReadOnlyCollection<Digest> wanted)
    {
        if (wanted.Count == 0) return [];
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in wanted.Select(d => d.ToString()).Chunk(Chunk))
            found.UnionWith(await c.QueryAsync<string>(sql, new { id, ds = chunk }, tx).ConfigureAwait(false));
        return wanted.Where(d => !found.Contains(d.ToString())).ToList();
    }

    internal sealed class RepositoryRow
    {
        public long Id { get; set; }
        public long Generation { get; set; }
    }
}
