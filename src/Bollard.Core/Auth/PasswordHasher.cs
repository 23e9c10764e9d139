using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bollard.Core.Auth;

/// <summary>
/// Password hashes: PBKDF2-HMAC-SHA256, 600,000 iterations (OWASP Password Storage Cheat Sheet, 2023+), 16-byte
/// random salt, 32-byte output, stored as <c>pbkdf2-sha256$ITER$SALT$HASH</c> (base64). Verification is
/// constant-time. (Unknown users are checked against a dummy hash of the same work factor by
/// <see cref="Authenticator"/>, so that login timing does not tell which user names exist.)
/// </summary>
public static class PasswordHasher
{
    public const int DefaultIterations = 600_000;
    private const string Scheme = "pbkdf2-sha256";

    public static string Hash(string password, int iterations = DefaultIterations)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations) || iterations < 1)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException) { return false; }
        // An empty stored hash would match every password (PBKDF2 of length 0 equals it); only the 32 bytes Hash makes count.
        if (expected.Length != 32) return false;
        byte[] actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
