using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// Plain ADO.NET for the few queries whose SQL and parameter list are built at run time (batched <c>IN</c> and
/// <c>VALUES</c> lists). Dapper.AOT generates the binding for a parameter type it sees at build time; these have none,
/// and Dapper's <c>DynamicParameters</c> would leave the call on reflection-based Dapper, which Native AOT cannot run.
/// </summary>
internal static class SqliteDynamicQuery
{
    /// <summary>The first column of every row, as text.</summary>
    public static async Task<List<string>> StringsAsync(SqliteConnection connection, string sql, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var values = new List<string>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) values.Add(reader.GetString(0));
        return values;
    }
}
