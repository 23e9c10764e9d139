using Bollard.Core.Oci;

namespace Bollard.Core.Usage;

/// <summary>
/// The namespace a repository's usage is listed under: its first path component (<c>team-a</c> for
/// <c>team-a/app</c> and <c>team-a/tools/cli</c>; a one-component name like <c>alpine</c> is its own namespace).
/// Quotas use namespace patterns instead (<see cref="Auth.NamespacePattern"/>, e.g. <c>team-a/**</c>), which may
/// cover any set of repositories.
/// </summary>
public static class UsageNamespaces
{
    public static string Of(RepositoryName repository)
    {
        int slash = repository.Value.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? repository.Value : repository.Value[..slash];
    }
}
