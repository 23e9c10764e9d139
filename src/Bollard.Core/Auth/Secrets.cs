using System.Security.Cryptography;
using System.Text;

namespace Bollard.Core.Auth;

/// <summary>
/// Machine secrets (robot secrets, personal access tokens, refresh tokens): 32 random bytes, shown once, stored
/// only as SHA-256. A fast hash is right here because the secret has 256 bits of entropy (OWASP: API keys).
/// </summary>
public static class Secrets
{
    public static string New(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool Matches(string secret, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(HashOf(secret)), Encoding.ASCII.GetBytes(storedHash));
}
