using Bollard.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>SQLite's "full", "locked" and "cannot write" answers, wherever they were raised (see <see cref="SqliteDatabase"/>).</summary>
public sealed class SqliteErrorTranslator : IStorageErrorTranslator
{
    public Exception? Translate(Exception exception) => exception is SqliteException e ? SqliteDatabase.Translate(e) : null;
}
