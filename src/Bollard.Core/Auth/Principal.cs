namespace Bollard.Core.Auth;

/// <summary>Who is calling: a user, a robot account, or nobody. <see cref="Name"/> is what the audit log records.</summary>
public sealed record Principal(PrincipalKind Kind, long Id, string Name, bool IsAdmin)
{
    public static readonly Principal Anonymous = new(PrincipalKind.Anonymous, 0, "", false);

    public bool IsAuthenticated => Kind != PrincipalKind.Anonymous;

    /// <summary>When the user or robot was created: a token issued before that names an earlier holder of the name.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>What the caller authenticated with (null for a bearer token's subject or anonymous).</summary>
    public AuthCredential? Credential { get; init; }

    /// <summary>The JWT <c>sub</c>: the user or robot name (robots are <c>robot$NAME</c>), empty for anonymous (token spec).</summary>
    public string Subject => IsAuthenticated ? Name : "";
}
