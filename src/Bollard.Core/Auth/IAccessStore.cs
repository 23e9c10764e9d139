namespace Bollard.Core.Auth;

/// <summary>Role bindings (principal, role, namespace pattern) and the namespaces open to anonymous pull.</summary>
public interface IAccessStore
{
    ValueTask<RoleBindingRecord> AddBindingAsync(PrincipalKind kind, long principalId, Role role, string pattern, DateTimeOffset now, CancellationToken ct);
    ValueTask<IReadOnlyList<RoleBindingRecord>> ListBindingsAsync(CancellationToken ct);
    ValueTask<bool> DeleteBindingAsync(long id, CancellationToken ct);

    ValueTask<IReadOnlyList<string>> ListPublicPatternsAsync(CancellationToken ct);
    /// <returns>false when nothing changed.</returns>
    ValueTask<bool> SetPublicAsync(string pattern, bool isPublic, CancellationToken ct);
}
