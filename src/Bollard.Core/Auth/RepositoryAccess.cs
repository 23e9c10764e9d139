namespace Bollard.Core.Auth;

/// <summary>What a caller may do in one repository. The token <c>access</c> actions map one to one.</summary>
[Flags]
public enum RepositoryAccess
{
    None = 0,
    Pull = 1,
    Push = 2,
    Delete = 4,
    /// <summary>Manage the namespace's settings and policies (maintainer and up).</summary>
    Manage = 8,
    All = Pull | Push | Delete | Manage,
}

public static class RepositoryAccessNames
{
    /// <summary>The token scope action names (Docker token spec: pull, push; CNCF Distribution: delete; <c>*</c> = all).</summary>
    public static RepositoryAccess Parse(string action) => action switch
    {
        "pull" => RepositoryAccess.Pull,
        "push" => RepositoryAccess.Push,
        "delete" => RepositoryAccess.Delete,
        "*" => RepositoryAccess.Pull | RepositoryAccess.Push | RepositoryAccess.Delete,
        _ => RepositoryAccess.None,
    };

    public static IReadOnlyList<string> Names(RepositoryAccess access)
    {
        var names = new List<string>(3);
        if (access.HasFlag(RepositoryAccess.Pull)) names.Add("pull");
        if (access.HasFlag(RepositoryAccess.Push)) names.Add("push");
        if (access.HasFlag(RepositoryAccess.Delete)) names.Add("delete");
        return names;
    }
}
