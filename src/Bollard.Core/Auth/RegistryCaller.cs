namespace Bollard.Core.Auth;

/// <summary>
/// The caller of one registry request: who (the principal) and, for a bearer token, which scopes the token
/// grants. The effective access is the token's grant intersected with the principal's current rights, so
/// revoking a role binding or deleting a robot takes effect at once, even for tokens already handed out.
/// </summary>
public sealed record RegistryCaller(Principal Principal, IReadOnlyList<Scope>? Granted, string ClientAddress)
{
    /// <summary>Access control is switched off: every request may do everything.</summary>
    public bool Unrestricted { get; init; }

    /// <summary>Authenticated by a bearer token (vs. Basic credentials or nothing).</summary>
    public bool ByToken => Granted is not null;

    public static RegistryCaller Open(string clientAddress) => new(Principal.Anonymous, null, clientAddress) { Unrestricted = true };

    public RepositoryAccess GrantedFor(string repository)
    {
        if (Granted is null) return RepositoryAccess.All;
        var access = RepositoryAccess.None;
        foreach (var s in Granted)
            if (s.Type == Scope.RepositoryType && s.Name == repository) access |= s.Actions;
        return access;
    }

    public bool HasCatalogScope => Granted is null || Granted.Any(s => s.Type == Scope.RegistryType);
}
