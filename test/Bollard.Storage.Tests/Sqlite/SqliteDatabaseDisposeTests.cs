using Bollard.Storage.Sqlite;
using Dapper;

namespace Bollard.Storage.Tests.Sqlite;

/// <summary>Disposing the database while a background write holds the writer (a job finishing as the host stops).</summary>
public sealed class SqliteDatabaseDisposeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-sqlite-dispose-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Dispose_waits_for_the_running_write_to_commit_and_later_writes_see_it_disposed()
    {
        string path = Path.Combine(_dir, "bollard.db");
        var db = new SqliteDatabase(new SqliteOptions { Path = path });
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var write = db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("CREATE TABLE t (v INTEGER)", transaction: tx);
            inside.SetResult();
            await proceed.Task;
            return await c.ExecuteAsync("INSERT INTO t VALUES (1)", transaction: tx);
        }, CancellationToken.None);
        await inside.Task;

        var disposing = Task.Run(db.Dispose);
        await Task.Delay(200);
        Assert.False(disposing.IsCompleted, "Dispose must wait for the write that holds the writer");
        proceed.SetResult();
        Assert.Equal(1, await write);
        await disposing.WaitAsync(TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<ObjectDisposedException>(() => db.WriteAsync((c, tx) => Task.FromResult(0), CancellationToken.None));
        db.Dispose(); // twice is harmless

        // The write committed before the connection closed.
        using var reopened = new SqliteDatabase(new SqliteOptions { Path = path });
        Assert.Equal(1, await reopened.WriteAsync((c, tx) => c.ExecuteScalarAsync<int>("SELECT count(*) FROM t", transaction: tx), CancellationToken.None));
    }
}
