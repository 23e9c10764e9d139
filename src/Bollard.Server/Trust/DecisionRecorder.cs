using System.Collections.Concurrent;
using System.Threading.Channels;
using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Health;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.Core.Trust;
using Bollard.Trust.Policy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Trust;

/// <summary>
/// What an enforcement point does with a decision besides answering: the recent-decisions log, the log line, the audit
/// record (<c>policy.deny</c>, <c>policy.warn</c>) and the <c>PolicyViolation</c> event. Bounded twice over, because a
/// pull is anonymous-triggerable: the same decision (point, repository, digest, policy version, outcome) is recorded at
/// most once per <see cref="PolicyDecisionOptions.RepeatInterval"/> (a client pulling a violating image every second
/// makes one record per interval), and records wait in a bounded queue written in batches by a background loop (when the
/// database cannot keep up, further records are counted and dropped, never slowing pulls). Pull decisions where no
/// policy applied are not recorded.
/// </summary>
public sealed partial class DecisionRecorder(
    IDecisionLog log, IMetadataStore metadata, AuditRecorder audit, PolicyDecisionOptions options, BackgroundHealth health, TimeProvider time,
    ILogger<DecisionRecorder> logger) : BackgroundService
{
    public const string Component = "trust-decisions";
    public const string DenyAction = "policy.deny";
    public const string WarnAction = "policy.warn";
    private const int MaxQueued = 10_000, MaxRemembered = 50_000, MaxReasons = 20, MaxReasonLength = 500, MaxEventDetail = 1000;
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    private readonly Channel<(TrustDecisionRecord Record, bool Violation)> _queue =
        Channel.CreateBounded<(TrustDecisionRecord, bool)>(new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentDictionary<(string, string, string, string?, long?, bool), DateTimeOffset> _recent = new();
    private long _dropped, _written;

    /// <summary>Records <paramref name="decision"/> made at <paramref name="point"/> for <paramref name="principal"/> (see the class comment for what is kept).</summary>
    public void Record(PolicyDecision decision, DecisionPoint point, string principal, string client)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Policy is null && point == DecisionPoint.Pull) return;
        if (point == DecisionPoint.DryRun) return;
        var now = time.GetUtcNow();
        var key = (PointName(point), decision.Repository, decision.Digest, decision.Policy, decision.PolicyVersion, decision.Allowed);
        if (_recent.TryGetValue(key, out var last) && now - last < options.RepeatInterval) return;
        if (_recent.Count >= MaxRemembered) _recent.Clear();
        _recent[key] = now;

        var reasons = decision.Violations.Take(MaxReasons).Select(r => r.Length > MaxReasonLength ? r[..MaxReasonLength] + "…" : r).ToList();
        if (decision.Violations.Count > MaxReasons) reasons.Add($"+{decision.Violations.Count - MaxReasons} more");
        string mode = ModeName(decision.Mode);
        if (decision.Violated)
        {
            string summary = string.Join("; ", reasons);
            string what = decision.Allowed ? "warned" : "denied";
            Log.Violation(logger, PointName(point), what, decision.Repository, decision.Digest, decision.Policy ?? "", decision.PolicyVersion ?? 0, principal, summary);
            audit.Record(principal, client, decision.Allowed ? WarnAction : DenyAction, decision.Allowed ? "success" : "denied", decision.Repository, decision.Digest,
                Cut($"{PointName(point)}: policy {decision.Policy} v{decision.PolicyVersion} ({mode}): {summary}", MaxEventDetail));
        }
        var record = new TrustDecisionRecord
        {
            Time = now, Repository = decision.Repository, Digest = decision.Digest, Point = PointName(point), Allowed = decision.Allowed, Mode = mode,
            Policy = decision.Policy, PolicyVersion = decision.PolicyVersion, Reasons = reasons, Principal = principal,
        };
        if (!_queue.Writer.TryWrite((record, decision.Violated))) Interlocked.Increment(ref _dropped);
    }

    /// <summary>Records written so far (tests wait on it).</summary>
    public long Written => Interlocked.Read(ref _written);

    public static string PointName(DecisionPoint point) => point switch
    {
        DecisionPoint.Pull => "pull",
        DecisionPoint.Admission => "admission",
        DecisionPoint.PolicyTest => "policy-test",
        DecisionPoint.DryRun => "dry-run",
        _ => point.ToString().ToLowerInvariant(),
    };

    public static string ModeName(PolicyMode mode) => mode.ToString().ToLowerInvariant();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastPrune = DateTimeOffset.MinValue;
        var batch = new List<(TrustDecisionRecord Record, bool Violation)>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (batch.Count == 0)
                {
                    if (!await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false)) return;
                    while (batch.Count < 500 && _queue.Reader.TryRead(out var item)) batch.Add(item);
                }
                await WriteAsync(batch, stoppingToken).ConfigureAwait(false);
                Interlocked.Add(ref _written, batch.Count);
                batch.Clear();
                if (time.GetUtcNow() - lastPrune >= PruneEvery)
                {
                    await log.PruneAsync(options.LogSize, stoppingToken).ConfigureAwait(false);
                    lastPrune = time.GetUtcNow();
                }
                long dropped = Interlocked.Exchange(ref _dropped, 0);
                if (dropped > 0) Log.Dropped(logger, dropped, MaxQueued);
                health.Healthy(Component);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The batch stays and is written again: a locked database or a full disk must not lose the violations.
                health.Failing(Component, $"cannot store policy decisions: {e.Message}");
                Log.WriteFailed(logger, e.Message, e);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteAsync(List<(TrustDecisionRecord Record, bool Violation)> batch, CancellationToken ct)
    {
        await log.AppendAsync(batch.Select(b => b.Record).ToList(), ct).ConfigureAwait(false);
        var violations = batch.Where(b => b.Violation).Select(b => b.Record).ToList();
        if (violations.Count == 0) return;
        var tx = await metadata.BeginWriteAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            foreach (var v in violations)
                await tx.AppendEventAsync(new RegistryEvent
                {
                    Kind = RegistryEventKind.PolicyViolation, Time = v.Time, Repository = RepositoryName.TryParse(v.Repository, out var name) ? name : null,
                    Digest = Digest.TryParse(v.Digest, out var d) ? d : null, Principal = v.Principal,
                    Detail = Cut($"{v.Point} {(v.Allowed ? "warned" : "blocked")} by policy {v.Policy} v{v.PolicyVersion} ({v.Mode}): {string.Join("; ", v.Reasons)}", MaxEventDetail),
                }, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, Level = LogLevel.Warning,
            Message = "Trust policy violation at {Point} ({Outcome}): {Repository}@{Digest} under policy {Policy} v{Version}, asked by '{Principal}': {Reasons}")]
        public static partial void Violation(ILogger logger, string point, string outcome, string repository, string digest, string policy, long version, string principal, string reasons);

        [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "{Count} policy decisions were not recorded: more than {Max} waited to be written")]
        public static partial void Dropped(ILogger logger, long count, int max);

        [LoggerMessage(EventId = 902, Level = LogLevel.Error, Message = "Cannot store policy decisions (retrying): {Error}")]
        public static partial void WriteFailed(ILogger logger, string error, Exception e);
    }
}
