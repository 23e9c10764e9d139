namespace Bollard.Core.Storage;

public sealed record AuditEvent
{
    public long Id { get; init; }
    public DateTimeOffset Time { get; init; }
    public string Principal { get; init; } = "";
    public string ClientAddress { get; init; } = "";
    public required string Action { get; init; }
    public string? Repository { get; init; }
    public string? Reference { get; init; }
    public required string Outcome { get; init; }
    public string? Detail { get; init; }
    /// <summary>How many identical events this record stands for (repeated pulls of one batch; see AuditRecorder).</summary>
    public int Count { get; init; } = 1;
}

public sealed record AuditQuery
{
    public string? Principal { get; init; }
    public string? Action { get; init; }
    public string? Repository { get; init; }
    public string? Outcome { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    /// <summary>Paging: only events with a smaller id (the list is newest first).</summary>
    public long? BeforeId { get; init; }
    public int Limit { get; init; } = 100;
}
