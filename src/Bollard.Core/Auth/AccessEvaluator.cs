
namespace Bollard.Core.Auth;

/// <summary>
/// Computes what a principal may do in a repository from role bindings and public namespaces. Keeps a snapshot
/// of both in memory (they are small and read on every request), refreshed after local changes at once and
/// otherwise every few seconds, so changes made by another node are seen quickly too.
/// </summary>
public sealed class AccessEvaluator(IAccessStore store, TimeProvider time)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private volatile Snapshot? _snapshot;

    public async ValueTask<RepositoryAccess> RightsAsync(Principal principal, string repository, CancellationToken ct)
    {
        if (principal.IsAdmin) return RepositoryAccess.All;
        var snapshot = await SnapshotAsync(ct).ConfigureAwait(false);
        var access = RepositoryAccess.None;
        foreach (var pattern in snapshot.Public)
            if (pattern.Matches(repository)) { access |= RepositoryAccess.Pull; break; }
        if (!principal.IsAuthenticated) return access;
        foreach (var b in snapshot.Bindings)
            if (b.Kind == principal.Kind && b.PrincipalId == principal.Id && b.Pattern.Matches(repository))
                access |= b.Role.Access();
        return access;
    }

    /// <summary>The role bindings of one principal (for "who am I" answers).</summary>
    public async ValueTask<IReadOnlyList<(Role Role, string Pattern)>> BindingsOfAsync(Principal principal, CancellationToken ct)
    {
        var snapshot = await SnapshotAsync(ct).ConfigureAwait(false);
        return snapshot.Bindings.Where(b => b.Kind == principal.Kind && b.PrincipalId == principal.Id)
            .Select(b => (b.Role, b.Pattern.Value)).ToList();
    }

    public void Invalidate() => _snapshot = null;

    private async ValueTask<Snapshot> SnapshotAsync(CancellationToken ct)
    {
        var s = _snapshot;
        if (s is not null && time.GetUtcNow() - s.LoadedAt < Refresh) return s;
        var bindings = await store.ListBindingsAsync(ct).ConfigureAwait(false);
        var patterns = await store.ListPublicPatternsAsync(ct).ConfigureAwait(false);
        s = new Snapshot(
            bindings.Select(b => new Binding(b.Kind, b.PrincipalId, b.Role, NamespacePattern.Parse(b.Pattern))).ToList(),
            patterns.Select(NamespacePattern.Parse).ToList(),
            time.GetUtcNow());
        _snapshot = s;
        return s;
    }

    private sealed record Binding(PrincipalKind Kind, long PrincipalId, Role Role, NamespacePattern Pattern);

    private sealed record Snapshot(IReadOnlyList<Binding> Bindings, IReadOnlyList<NamespacePattern> Public, DateTimeOffset LoadedAt);
}
