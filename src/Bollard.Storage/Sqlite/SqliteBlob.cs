using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// A BLOB argument of a Dapper call. Dapper.AOT 1.1.0 takes every collection member of the arguments, <c>byte[]</c>
/// included, for a list to expand (<c>IN @list</c>) and would bind each byte as a parameter of its own; this binds the
/// bytes as one BLOB parameter (null as SQL NULL). Use it for every <c>byte[]</c> written through Dapper.
/// </summary>
internal readonly struct SqliteBlob(byte[]? bytes) : SqlMapper.ICustomQueryParameter
{
    public void AddParameter(IDbCommand command, string name)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Parameters.Add(new SqliteParameter(name, SqliteType.Blob) { Value = bytes is null ? DBNull.Value : bytes });
    }
}
