namespace Bollard.Core.Auth;

public enum ManagementError
{
    BadRequest = 400,
    Unauthorized = 401,
    Forbidden = 403,
    NotFound = 404,
    Conflict = 409,
}

/// <summary>A management API request that cannot be done; the HTTP status is the enum value.</summary>
public sealed class ManagementException(ManagementError error, string message) : Exception(message)
{
    public ManagementError Error { get; } = error;
}
