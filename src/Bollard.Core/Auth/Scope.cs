using Bollard.Core.Oci;

namespace Bollard.Core.Auth;

/// <summary>
/// One resource scope of the Docker token protocol (spec-auth-scope.md): <c>repository:NAME:pull,push</c> or
/// <c>registry:catalog:*</c>. Parsing is strict and fails closed: a name outside the repository grammar (no
/// wildcards, no <c>..</c>, no host or extra colon) or an unknown type yields no scope at all.
/// </summary>
public sealed record Scope(string Type, string Name, RepositoryAccess Actions)
{
    public const string RepositoryType = "repository";
    public const string RegistryType = "registry";

    /// <summary>
    /// Scopes one token request may name (valid or not). Clients ask for one to three (a push with a mount: two
    /// repositories; the catalog); a token naming hundreds would be larger than <see cref="TokenService.MaxTokenLength"/>
    /// and refused on use.
    /// </summary>
    public const int MaxPerRequest = 50;

    /// <summary>
    /// The scopes of a token request (<see cref="ParseList"/>), with repeated repositories merged (their actions
    /// combined).
    /// </summary>
    /// <exception cref="TokenRequestException">More than <see cref="MaxPerRequest"/> scopes (<c>invalid_scope</c>).</exception>
    public static List<Scope> ParseRequest(IEnumerable<string?> values, List<string> rejected)
    {
        int items = 0;
        foreach (var value in values)
            if (!string.IsNullOrWhiteSpace(value)) items += value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (items > MaxPerRequest)
            throw new TokenRequestException("invalid_scope", $"{items} scopes requested; at most {MaxPerRequest} per token request");
        var merged = new List<Scope>();
        foreach (var scope in ParseList(values, rejected))
        {
            int at = merged.FindIndex(m => m.Type == scope.Type && m.Name == scope.Name);
            if (at < 0) merged.Add(scope);
            else merged[at] = merged[at] with { Actions = merged[at].Actions | scope.Actions };
        }
        return merged;
    }

    public override string ToString() => Type == RegistryType ? $"registry:{Name}:*" : $"{Type}:{Name}:{string.Join(',', RepositoryAccessNames.Names(Actions))}";

    /// <summary>Parses a space-separated scope list; invalid entries are dropped (and reported in <paramref name="rejected"/>).</summary>
    public static List<Scope> ParseList(IEnumerable<string?> values, List<string>? rejected = null)
    {
        var scopes = new List<Scope>();
        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value)) continue;
            foreach (var item in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryParse(item, out var scope)) scopes.Add(scope);
                else rejected?.Add(item);
            }
        }
        return scopes;
    }

    public static bool TryParse(string value, out Scope scope)
    {
        scope = null!;
        if (value.Length > 512) return false;
        int first = value.IndexOf(':');
        int last = value.LastIndexOf(':');
        if (first <= 0 || last == first) return false;
        string type = value[..first];
        string name = value[(first + 1)..last];
        string actions = value[(last + 1)..];
        if (type == "repository(plugin)") type = RepositoryType; // resource class is deprecated and ignored
        if (type == RegistryType)
        {
            if (name != "catalog" || actions != "*") return false;
            scope = new Scope(RegistryType, "catalog", RepositoryAccess.Pull);
            return true;
        }
        if (type != RepositoryType || !RepositoryName.TryParse(name, out _)) return false;
        var access = RepositoryAccess.None;
        foreach (var action in actions.Split(','))
        {
            var a = RepositoryAccessNames.Parse(action);
            if (a == RepositoryAccess.None) return false;
            access |= a;
        }
        scope = new Scope(RepositoryType, name, access);
        return true;
    }
}
