using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Trust;
using Bollard.Core.Webhooks;
using Bollard.Trust.Policy;

namespace Bollard.Server.Trust;

/// <summary>
/// Management of trust policies, with the rights in one place (docs/trust.md, "Who may change a policy"):
/// <list type="bullet">
/// <item>reading policies and their history: any authenticated principal (they say what is enforced where);</item>
/// <item>creating, changing, deleting: an admin, or a principal with the maintainer role on a namespace covering the
/// policy's namespace pattern (for a change, both the old and the new pattern);</item>
/// <item>the admin floor (the Harbor CVE-2024-22278 class): a version an admin stores is <em>locked</em> unless the admin
/// says otherwise. A maintainer may not delete a locked policy, and may change it only by raising its mode
/// (off → warn → enforce) or its description: its namespace, signers, requirement, scanner and SBOM rules stay as the
/// admin set them, and the new version stays locked. Only an admin may lock or unlock.</item>
/// <item>the most specific policy replaces broader ones (<see cref="TrustPolicySelector"/>): a maintainer's policy that would
/// be chosen over another one for some repository needs the rights to change that one, which must not be locked, so a
/// floor cannot be side-stepped by a second, looser policy for the same repositories.</item>
/// </list>
/// Every change is a new version with who, when and a comment, appended with its <c>PolicyChanged</c> event in one
/// transaction, audited (<c>policy.create</c>, <c>policy.update</c>, <c>policy.delete</c>; refusals as
/// <c>access.denied</c>), and dropped from the decision caches at once.
/// </summary>
public sealed partial class PolicyService(ITrustPolicyStore store, AccessEvaluator access, AuditRecorder audit, TrustCaches caches, TimeProvider time)
{
    public const int MaxComment = 1000;
    public const int MaxHistory = 1000;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public async Task<IReadOnlyList<TrustPolicyVersion>> ListAsync(RegistryCaller caller, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        return await store.ListAsync(ct).ConfigureAwait(false);
    }

    /// <param name="version">An older version; null: the current one.</param>
    /// <exception cref="ManagementException">404 when there is no such policy (or version; a deleted policy's current version is not found).</exception>
    public async Task<TrustPolicyVersion> GetAsync(RegistryCaller caller, string name, long? version, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        Name(name);
        var found = version is { } v ? await store.GetVersionAsync(name, v, ct).ConfigureAwait(false) : await store.GetAsync(name, ct).ConfigureAwait(false);
        if (found is null || (version is null && found.Deleted))
            throw new ManagementException(ManagementError.NotFound, version is null ? $"no policy '{name}'" : $"policy '{name}' has no version {version}");
        return found;
    }

    public async Task<IReadOnlyList<TrustPolicyVersion>> HistoryAsync(RegistryCaller caller, string name, int? limit, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        Name(name);
        if (limit is < 1 or > MaxHistory) throw new ManagementException(ManagementError.BadRequest, $"limit: 1 to {MaxHistory}");
        var history = await store.HistoryAsync(name, limit ?? 100, ct).ConfigureAwait(false);
        return history.Count == 0 ? throw new ManagementException(ManagementError.NotFound, $"no policy '{name}'") : history;
    }

    /// <summary>Checks a document: the parsed policy, or 400 with every problem.</summary>
    public static TrustPolicy Parse(string? documentJson, string? expectedName)
    {
        if (string.IsNullOrWhiteSpace(documentJson)) throw new ManagementException(ManagementError.BadRequest, "document: a trust policy (JSON object) is needed");
        if (!TrustPolicyParser.TryParse(Encoding.UTF8.GetBytes(documentJson), out var policy, out var errors))
            throw new ManagementException(ManagementError.BadRequest, "invalid trust policy: " + string.Join("; ", errors));
        if (expectedName is not null && policy.Name != expectedName)
            throw new ManagementException(ManagementError.BadRequest, $"the document names policy '{policy.Name}', the URL '{expectedName}'");
        return policy;
    }

    /// <summary>Creates or replaces policy <paramref name="name"/> with <paramref name="documentJson"/>.</summary>
    /// <param name="locked">Admins only: whether the version is an admin floor (default for an admin: true). Null for others keeps the lock as it is.</param>
    /// <returns>The stored version and whether it created the policy.</returns>
    public async Task<(TrustPolicyVersion Version, bool Created)> PutAsync(RegistryCaller caller, string name, string? documentJson, string? comment, bool? locked, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        Name(name);
        Comment(comment);
        var policy = Parse(documentJson, name);
        var current = await store.GetAsync(name, ct).ConfigureAwait(false);
        var live = current is { Deleted: false } ? current : null;
        bool admin = IsAdmin(caller);
        await RequireMaintainerAsync(caller, policy.Namespace, ct).ConfigureAwait(false);
        if (live is not null) await RequireMaintainerAsync(caller, NamespacePattern.Parse(live.Pattern), ct).ConfigureAwait(false);
        if (!admin)
        {
            if (locked is not null) throw new ManagementException(ManagementError.Forbidden, "only an admin may lock or unlock a policy");
            if (live is { Locked: true }) CheckFloor(live, policy);
            else await CheckShadowingAsync(caller, policy, ct).ConfigureAwait(false);
        }
        bool isLocked = admin ? locked ?? true : live?.Locked ?? false;
        var version = new TrustPolicyVersion
        {
            Name = name, Version = (current?.Version ?? 0) + 1, Pattern = policy.Namespace.Value, Mode = DecisionRecorder.ModeName(policy.Mode),
            Document = documentJson!.Trim(), Locked = isLocked, ChangedBy = caller.Principal.Name, ChangedAt = Ms(time.GetUtcNow()), Comment = comment,
        };
        string action = live is null ? "create" : "update";
        await AppendAsync(caller, version, action, ct).ConfigureAwait(false);
        audit.Record(caller.Principal.Name, caller.ClientAddress, "policy." + action, "success", reference: $"policy {name} v{version.Version}",
            detail: $"{version.Pattern} {version.Mode}{(isLocked ? " locked" : "")}{(comment is null ? "" : ": " + comment)}");
        return (version, live is null);
    }

    public async Task<TrustPolicyVersion> DeleteAsync(RegistryCaller caller, string name, string? comment, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        Name(name);
        Comment(comment);
        var current = await store.GetAsync(name, ct).ConfigureAwait(false);
        if (current is null || current.Deleted) throw new ManagementException(ManagementError.NotFound, $"no policy '{name}'");
        await RequireMaintainerAsync(caller, NamespacePattern.Parse(current.Pattern), ct).ConfigureAwait(false);
        if (current.Locked && !IsAdmin(caller))
            throw new ManagementException(ManagementError.Forbidden,
                $"policy '{name}' v{current.Version} is locked by an admin ({current.ChangedBy}): only an admin may delete it");
        var version = current with
        {
            Version = current.Version + 1, Document = null, Mode = "off", Locked = false, ChangedBy = caller.Principal.Name, ChangedAt = Ms(time.GetUtcNow()), Comment = comment,
        };
        await AppendAsync(caller, version, "delete", ct).ConfigureAwait(false);
        audit.Record(caller.Principal.Name, caller.ClientAddress, "policy.delete", "success", reference: $"policy {name} v{version.Version}",
            detail: $"{current.Pattern}{(comment is null ? "" : ": " + comment)}");
        return version;
    }

    /// <summary>The maintainer role on a namespace covering <paramref name="pattern"/>, or admin (also what a dry run of a policy for <paramref name="pattern"/> needs).</summary>
    public async Task RequireMaintainerAsync(RegistryCaller caller, NamespacePattern pattern, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(pattern);
        if (IsAdmin(caller)) return;
        RequireAuthenticated(caller);
        var maintained = (await access.BindingsOfAsync(caller.Principal, ct).ConfigureAwait(false))
            .Where(b => b.Role >= Role.Maintainer).Select(b => NamespacePattern.Parse(b.Pattern));
        if (!maintained.Any(m => WebhookService.Covers(m, pattern)))
            throw new ManagementException(ManagementError.Forbidden, $"a policy for '{pattern}' needs the maintainer role on a namespace covering '{pattern}', or admin");
    }

    public static bool IsAdmin(RegistryCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Unrestricted || caller.Principal.IsAdmin;
    }

    public static void RequireAuthenticated(RegistryCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Unrestricted && !caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
    }

    /// <summary>A maintainer's change of a locked policy: the mode may go up and the description may change; nothing else.</summary>
    private static void CheckFloor(TrustPolicyVersion floor, TrustPolicy next)
    {
        var old = Parse(floor.Document, null);
        string Refuse(string what) => $"policy '{floor.Name}' v{floor.Version} is locked by an admin ({floor.ChangedBy}): a maintainer may not {what}; ask an admin";
        if (next.Mode < old.Mode)
            throw new ManagementException(ManagementError.Forbidden, Refuse($"lower its mode from {DecisionRecorder.ModeName(old.Mode)} to {DecisionRecorder.ModeName(next.Mode)}"));
        if (!next.Namespace.Equals(old.Namespace))
            throw new ManagementException(ManagementError.Forbidden, Refuse($"move it from '{old.Namespace}' to '{next.Namespace}'"));
        foreach (string field in RuleFields)
            if (!JsonNode.DeepEquals(Field(old, field), Field(next, field)))
                throw new ManagementException(ManagementError.Forbidden, Refuse($"change its {field} (only raising the mode and the description)"));
    }

    private static readonly string[] RuleFields = ["signers", "require", "vulnerabilities", "sbom"];

    private static JsonNode? Field(TrustPolicy policy, string field) =>
        JsonNode.Parse(TrustPolicyParser.Serialize(policy.Document)) is JsonObject o && o.TryGetPropertyValue(field, out var value) ? value : null;

    /// <summary>
    /// The most specific policy replaces broader ones entirely (<see cref="TrustPolicySelector"/>), so a maintainer's policy
    /// that would be chosen over another one for some repository needs the rights to change that other policy, and that
    /// policy must not be locked: otherwise a second, looser policy could side-step an admin's (or another team's) floor.
    /// </summary>
    private async Task CheckShadowingAsync(RegistryCaller caller, TrustPolicy next, CancellationToken ct)
    {
        foreach (var other in await store.ListAsync(ct).ConfigureAwait(false))
        {
            if (other.Name == next.Name || other.Document is null) continue;
            var theirs = NamespacePattern.Parse(other.Pattern);
            if (!NamespacePatterns.Intersect(next.Namespace, theirs)) continue;
            if (!TrustPolicyParser.TryParse(Encoding.UTF8.GetBytes(other.Document), out var otherPolicy, out _)) continue;
            if (TrustPolicySelector.Compare(next, otherPolicy) <= 0) continue;
            string shadow = $"policy '{next.Name}' for '{next.Namespace}' would replace policy '{other.Name}' ('{theirs}') for the repositories both match";
            if (other.Locked)
                throw new ManagementException(ManagementError.Forbidden,
                    $"{shadow}, and '{other.Name}' is locked by an admin ({other.ChangedBy}): a maintainer may only tighten that policy (raise its mode); ask an admin");
            try
            {
                await RequireMaintainerAsync(caller, theirs, ct).ConfigureAwait(false);
            }
            catch (ManagementException e) when (e.Error == ManagementError.Forbidden)
            {
                throw new ManagementException(ManagementError.Forbidden,
                    $"{shadow}: that needs the rights to change '{other.Name}' (the maintainer role on a namespace covering '{theirs}', or admin)");
            }
        }
    }

    private async Task AppendAsync(RegistryCaller caller, TrustPolicyVersion version, string action, CancellationToken ct)
    {
        var changed = new RegistryEvent
        {
            Kind = RegistryEventKind.PolicyChanged, Time = version.ChangedAt, Principal = caller.Principal.Name, ClientAddress = caller.ClientAddress,
            Detail = $"{version.Name} v{version.Version} {action}d ({version.Pattern} {version.Mode})",
        };
        if (!await store.AppendAsync(version, changed, ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.Conflict, $"policy '{version.Name}' was changed meanwhile (now past v{version.Version - 1}); read it again and retry");
        caches.PoliciesChanged();
    }

    private static void Name(string name)
    {
        if (!NamePattern().IsMatch(name)) throw new ManagementException(ManagementError.BadRequest, $"'{name}' is not a policy name (a-z, 0-9, '.', '_', '-'; 1 to 63 characters, starting with a letter or digit)");
    }

    private static void Comment(string? comment)
    {
        if (comment is { Length: > MaxComment }) throw new ManagementException(ManagementError.BadRequest, $"comment: at most {MaxComment} characters");
    }

    private static DateTimeOffset Ms(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());
}
