using System.Text;
using Bollard.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

public sealed class SqliteAuditLog(SqliteDatabase db) : IAuditLog
{
    private static readonly string[] InsertParameters = ["$t", "$p", "$c", "$a", "$r", "$ref", "$o", "$d", "$n"];

    public async ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await db.WriteAsync((c, tx) =>
        {
            // One prepared statement for the whole batch: pulls are audited, so this runs at pull rate.
            using var insert = c.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO audit_events(time, principal, client, action, repository, reference, outcome, detail, count) VALUES ($t, $p, $c, $a, $r, $ref, $o, $d, $n)";
            var parameters = InsertParameters.Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
            parameters[0].SqliteType = SqliteType.Integer;
            parameters[8].SqliteType = SqliteType.Integer;
            insert.Prepare();
            foreach (var e in events)
            {
                parameters[0].Value = e.Time.ToUnixTimeMilliseconds();
                parameters[1].Value = e.Principal;
                parameters[2].Value = e.ClientAddress;
                parameters[3].Value = e.Action;
                parameters[4].Value = (object?)e.Repository ?? DBNull.Value;
                parameters[5].Value = (object?)e.Reference ?? DBNull.Value;
                parameters[6].Value = e.Outcome;
                parameters[7].Value = (object?)e.Detail ?? DBNull.Value;
                parameters[8].Value = e.Count;
                insert.ExecuteNonQuery();
            }
            return Task.FromResult(0);
        }, ct).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT id, time, principal, client AS ClientAddress, action, repository, reference, outcome, detail, count FROM audit_events WHERE 1 = 1");
        if (query.Principal is not null) sql.Append(" AND principal = @Principal");
        if (query.Action is not null) sql.Append(" AND action = @Action");
        if (query.Repository is not null) sql.Append(" AND repository = @Repository");
        if (query.Outcome is not null) sql.Append(" AND outcome = @Outcome");
        if (query.Since is not null) sql.Append(" AND time >= @since");
        if (query.Until is not null) sql.Append(" AND time < @until");
        if (query.BeforeId is not null) sql.Append(" AND id < @BeforeId");
        sql.Append(" ORDER BY id DESC LIMIT @Limit");
        var rows = await db.ReadAsync(c => c.QueryAsync<AuditRow>(sql.ToString(), new
        {
            query.Principal, query.Action, query.Repository, query.Outcome, query.BeforeId, query.Limit,
            since = query.Since?.ToUnixTimeMilliseconds(), until = query.Until?.ToUnixTimeMilliseconds(),
        })).ConfigureAwait(false);
        return rows.Select(r => new AuditEvent
        {
            Id = r.Id, Time = DateTimeOffset.FromUnixTimeMilliseconds(r.Time), Principal = r.Principal, ClientAddress = r.ClientAddress,
            Action = r.Action, Repository = r.Repository, Reference = r.Reference, Outcome = r.Outcome, Detail = r.Detail, Count = (int)r.Count,
        }).ToList();
    }

    internal sealed class AuditRow
    {
        public long Id { get; set; }
        public long Time { get; set; }
        public string Principal { get; set; } = "";
        public string ClientAddress { get; set; } = "";
        public string Action { get; set; } = "";
        public string? Repository { get; set; }
        public string? Reference { get; set; }
        public string Outcome { get; set; } = "";
        public string? Detail { get; set; }
        public long Count { get; set; } = 1;
    }
}
