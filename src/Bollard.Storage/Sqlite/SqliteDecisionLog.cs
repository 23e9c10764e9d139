using Bollard.Core.Trust;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>The recent-decisions log (<c>Migrations/0101_trust_decisions.sql</c>); reasons are stored as a JSON array.</summary>
public sealed class SqliteDecisionLog(SqliteDatabase db) : IDecisionLog
{
    public async ValueTask AppendAsync(IReadOnlyList<TrustDecisionRecord> decisions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        if (decisions.Count == 0) return;
        await db.WriteAsync(async (c, tx) =>
        {
            foreach (var d in decisions)
                await c.ExecuteAsync(
                    """
                    INSERT INTO trust_decisions(time, repository, digest, point, allowed, mode, policy, policy_version, reasons, principal)
                    VALUES (@time, @Repository, @Digest, @Point, @Allowed, @Mode, @Policy, @PolicyVersion, @reasons, @Principal)
                    """,
                    new
                    {
                        time = d.Time.ToUnixTimeMilliseconds(), d.Repository, d.Digest, d.Point, d.Allowed, d.Mode, d.Policy, d.PolicyVersion,
                        reasons = SqliteJson.Strings(d.Reasons), d.Principal,
                    }, tx).ConfigureAwait(false);
            return 0;
        }, ct).ConfigureAwait(false);
    }

    private const string Columns =
        """
        id AS Id, time AS Time, repository AS Repository, digest AS Digest, point AS Point, allowed AS Allowed, mode AS Mode, policy AS Policy,
        policy_version AS PolicyVersion, reasons AS Reasons, principal AS Principal
        """;

    // Two constant statements rather than one built at run time: Dapper.AOT 1.1.0 generates code that does not compile
    // for a cancellable call whose SQL is not a constant.
    public async ValueTask<IReadOnlyList<TrustDecisionRecord>> RecentAsync(string? repository, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => repository is null
            ? c.QueryAsync<Row>($"SELECT {Columns} FROM trust_decisions ORDER BY id DESC LIMIT @limit", new { limit, ct })
            : c.QueryAsync<Row>($"SELECT {Columns} FROM trust_decisions WHERE repository = @repository ORDER BY id DESC LIMIT @limit", new { repository, limit, ct }))
            .ConfigureAwait(false)).Select(r => r.ToRecord()).ToList();

    public async ValueTask<int> PruneAsync(int keep, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            "DELETE FROM trust_decisions WHERE id <= (SELECT id FROM trust_decisions ORDER BY id DESC LIMIT 1 OFFSET @keep)", new { keep }, tx), ct).ConfigureAwait(false);

    internal sealed class Row
    {
        public long Id { get; set; }
        public long Time { get; set; }
        public string Repository { get; set; } = "";
        public string Digest { get; set; } = "";
        public string Point { get; set; } = "";
        public bool Allowed { get; set; }
        public string Mode { get; set; } = "";
        public string? Policy { get; set; }
        public long? PolicyVersion { get; set; }
        public string Reasons { get; set; } = "[]";
        public string Principal { get; set; } = "";

        public TrustDecisionRecord ToRecord() => new()
        {
            Id = Id, Time = DateTimeOffset.FromUnixTimeMilliseconds(Time), Repository = Repository, Digest = Digest, Point = Point, Allowed = Allowed, Mode = Mode,
            Policy = Policy, PolicyVersion = PolicyVersion, Principal = Principal,
            Reasons = SqliteJson.ReadStrings(Reasons),
        };
    }
}
