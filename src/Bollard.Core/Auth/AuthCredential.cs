using System.Globalization;

namespace Bollard.Core.Auth;

/// <summary>
/// The credential a principal authenticated with, so that what it creates can be bounded by it: a personal access
/// token made with an expiring token expires no later, a refresh token dies with the credential that obtained it,
/// and only the password itself can change the password.
/// </summary>
/// <param name="Id">The access token's id (0 for the others).</param>
/// <param name="ExpiresAt">When the credential itself expires (null: never).</param>
public sealed record AuthCredential(CredentialKind Kind, long Id, DateTimeOffset? ExpiresAt)
{
    public static readonly AuthCredential Password = new(CredentialKind.Password, 0, null);

    /// <summary>How a refresh token records it: <c>password</c>, <c>pat:ID</c> or <c>robot</c>.</summary>
    public string Tag => Kind switch
    {
        CredentialKind.AccessToken => "pat:" + Id.ToString(CultureInfo.InvariantCulture),
        CredentialKind.RobotSecret => "robot",
        _ => "password",
    };

    public static string AccessTokenTag(long id) => "pat:" + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The credential a refresh token's tag names (null for tokens of unknown origin).</summary>
    public static AuthCredential? FromTag(string tag, DateTimeOffset? expiresAt) =>
        tag == "password" ? Password
        : tag == "robot" ? new AuthCredential(CredentialKind.RobotSecret, 0, expiresAt)
        : tag.StartsWith("pat:", StringComparison.Ordinal) && long.TryParse(tag.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out long id)
            ? new AuthCredential(CredentialKind.AccessToken, id, expiresAt)
            : null;
}
