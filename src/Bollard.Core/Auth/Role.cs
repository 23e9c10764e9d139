namespace Bollard.Core.Auth;

/// <summary>Roles bound to namespace patterns. Each includes the one before it.</summary>
public enum Role
{
    Reader,
    Developer,
    Maintainer,
    Admin,
}

public static class Roles
{
    public static RepositoryAccess Access(this Role role) => role switch
    {
        Role.Reader => RepositoryAccess.Pull,
        Role.Developer => RepositoryAccess.Pull | RepositoryAccess.Push,
        Role.Maintainer => RepositoryAccess.Pull | RepositoryAccess.Push | RepositoryAccess.Delete | RepositoryAccess.Manage,
        Role.Admin => RepositoryAccess.All,
        _ => RepositoryAccess.None,
    };

    public static bool TryParse(string? value, out Role role)
    {
        // Exact names only: Enum.TryParse also takes " reader " and flag lists ("developer,maintainer" = 1|2 = Admin).
        foreach (var r in Enum.GetValues<Role>())
            if (string.Equals(r.Name(), value, StringComparison.OrdinalIgnoreCase)) { role = r; return true; }
        role = default;
        return false;
    }

    public static string Name(this Role role) => role.ToString().ToLowerInvariant();
}
