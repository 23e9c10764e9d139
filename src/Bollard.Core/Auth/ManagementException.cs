namespace Bollard.Core.Auth;

public enum ManagementError
{
    BadRequest = 400,
    Unauthorized = 401,
    Forbidden = 403,
    NotFound = 404,
    Conflict = 409,
    TooManyRequests = 429,
}

/// <summary>A management API request that cannot be done; the HTTP status is the enum value.</summary>
public sealed class ManagementException(ManagementError error, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    public ManagementError Error { get; } = error;

    /// <summary>For <see cref="ManagementError.TooManyRequests"/>: when to try again.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
