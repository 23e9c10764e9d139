namespace Bollard.Server.Auth;

/// <summary>A registry request refused by access control: 401 with a Bearer challenge, 403, or 429.</summary>
public sealed class RegistryAuthException(int status, string code, string message, string? challengeScope, string? challengeError = null, TimeSpan? retryAfter = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string? ChallengeScope { get; } = challengeScope;
    public string? ChallengeError { get; } = challengeError;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
