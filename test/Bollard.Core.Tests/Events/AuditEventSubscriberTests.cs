using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Events;

public sealed class AuditEventSubscriberTests
{
    private static readonly RepositoryName Repo = RepositoryName.Parse("team/app");
    private static readonly Digest M = Digest.Sha256Of("m"u8);

    private static RegistryEvent E(RegistryEventKind kind, string? tag = null, string? detail = null) =>
        new() { Kind = kind, Time = DateTimeOffset.UnixEpoch, Repository = Repo, Digest = M, Tag = tag, Detail = detail, Principal = "alice", ClientAddress = "10.0.0.1" };

    [Fact]
    public async Task PushesAndDeletes_BecomeAuditRecords_ButNotLinksTagMovesOrCascades()
    {
        var log = new Log();
        await new AuditEventSubscriber(log, new AuthOptions()).HandleAsync(
        [
            E(RegistryEventKind.RepositoryCreated), E(RegistryEventKind.BlobLinked), E(RegistryEventKind.ManifestPushed, "v1"),
            E(RegistryEventKind.TagCreated, "v1"), E(RegistryEventKind.ManifestPushed), E(RegistryEventKind.TagDeleted, "v1", RegistryEvent.CascadeDetail),
            E(RegistryEventKind.ManifestDeleted), E(RegistryEventKind.TagDeleted, "v2"), E(RegistryEventKind.BlobDeleted),
        ], default);

        Assert.Equal(
            [("push", $"v1@{M}"), ("push", M.ToString()), ("delete", M.ToString()), ("delete", "v2"), ("delete", M.ToString())],
            log.Events.Select(e => (e.Action, e.Reference!)));
        Assert.All(log.Events, e => Assert.Equal(("alice", "10.0.0.1", "team/app", "success"), (e.Principal, e.ClientAddress, e.Repository!, e.Outcome)));
    }

    [Fact]
    public async Task AccessControlOff_WritesNothing()
    {
        var log = new Log();
        await new AuditEventSubscriber(log, new AuthOptions { Enabled = false }).HandleAsync([E(RegistryEventKind.ManifestPushed, "v1")], default);
        Assert.Empty(log.Events);
    }

    private sealed class Log : IAuditLog
    {
        public List<AuditEvent> Events { get; } = [];

        public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct)
        {
            Events.AddRange(events);
            return ValueTask.CompletedTask;
        }

        public ValueTask<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct) => throw new NotSupportedException();
    }
}
