using Bollard.Core.Auth;
using Bollard.Core.Oci;

namespace Bollard.Core.Registry;

/// <summary>
/// The management API's repository operations, with their authorization in one place: deleting a repository takes
/// the <see cref="RepositoryAccess.Manage"/> right on it (namespace maintainers and admins, as in
/// <see cref="AccessEvaluator"/>); a caller who may not even pull it is told it does not exist, so names stay private.
/// Every delete (done or refused) is audited as <c>repository.delete</c>.
/// </summary>
public sealed class RepositoryManagement(RepositoryService repositories, AccessEvaluator evaluator, AuditRecorder audit)
{
    public const string DeleteAction = "repository.delete";

    /// <exception cref="ManagementException">400 bad name, 401, 403 without the manage right, 404 unknown (or not
    /// visible), 409 when a push check (e.g. an immutable tag) refuses it; nothing was deleted then.</exception>
    public async Task<RepositoryDeletion> DeleteAsync(RegistryCaller caller, string name, CancellationToken ct)
    {
        var repository = await AuthorizeAsync(caller, name, RepositoryAccess.Manage, ct).ConfigureAwait(false);
        var actor = new RegistryActor(caller.Principal.Name, caller.ClientAddress);
        try
        {
            var deleted = await repositories.DeleteAsync(repository, actor, ct).ConfigureAwait(false);
            audit.Record(caller.Principal.Name, caller.ClientAddress, DeleteAction, "success", repository.Value,
                detail: $"{deleted.Tags} tags, {deleted.Manifests} manifests, {deleted.Blobs} blob links, {deleted.Uploads} uploads cancelled");
            return deleted;
        }
        catch (OciException e) when (e.Error == OciErrors.NameUnknown)
        {
            throw new ManagementException(ManagementError.NotFound, $"no repository '{repository}'");
        }
        catch (OciException e)
        {
            audit.Record(caller.Principal.Name, caller.ClientAddress, DeleteAction, "denied", repository.Value, detail: e.Detail);
            throw new ManagementException(ManagementError.Conflict, $"repository {repository} was not deleted: {e.Detail ?? e.Error.Message}");
        }
    }

    /// <summary>Parses the name and checks the caller holds <paramref name="needed"/> on it.</summary>
    public async Task<RepositoryName> AuthorizeAsync(RegistryCaller caller, string name, RepositoryAccess needed, CancellationToken ct)
    {
        if (!RepositoryName.TryParse(name, out var repository))
            throw new ManagementException(ManagementError.BadRequest, $"'{name}' is not a repository name");
        if (caller.Unrestricted) return repository;
        if (!caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        var rights = await evaluator.RightsAsync(caller.Principal, repository.Value, ct).ConfigureAwait(false);
        if (!rights.HasFlag(RepositoryAccess.Pull)) throw new ManagementException(ManagementError.NotFound, $"no repository '{repository}'");
        if (!rights.HasFlag(needed))
            throw new ManagementException(ManagementError.Forbidden, $"this needs the maintainer role on {repository} (or a registry admin)");
        return repository;
    }
}
