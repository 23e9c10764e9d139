using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Bollard.Core.Security;

namespace Bollard.Core.Mirror;

/// <summary>A user name and password (or token) for an upstream. <see cref="ToString"/> never shows the password.</summary>
public sealed record UpstreamCredential(string Username, string Password)
{
    public override string ToString() => $"UpstreamCredential {{ Username = {Username} }}";
}

/// <summary>
/// How stored upstream credentials are sealed: AES-256-GCM under the server's <see cref="KeyEncryptionKey"/>, with
/// the purpose <see cref="Purpose"/> and the upstream's name as associated data (a row copied to another upstream, or a
/// sealed signing key put in its place, does not open). Plaintext: a 2-byte big-endian length, the user name (UTF-8),
/// the password (UTF-8).
/// </summary>
public static class UpstreamCredentialSeal
{
    public const string Purpose = "bollard mirror upstream credentials";

    public static byte[] Seal(KeyEncryptionKey kek, string upstream, UpstreamCredential credential)
    {
        ArgumentNullException.ThrowIfNull(kek);
        ArgumentNullException.ThrowIfNull(credential);
        int user = Encoding.UTF8.GetByteCount(credential.Username);
        if (user > ushort.MaxValue) throw new ArgumentException("the user name is too long", nameof(credential));
        byte[] plain = new byte[2 + user + Encoding.UTF8.GetByteCount(credential.Password)];
        try
        {
            BinaryPrimitives.WriteUInt16BigEndian(plain, (ushort)user);
            Encoding.UTF8.GetBytes(credential.Username, plain.AsSpan(2));
            Encoding.UTF8.GetBytes(credential.Password, plain.AsSpan(2 + user));
            return kek.Seal(Purpose, upstream, plain);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <exception cref="CryptographicException">Not sealed by this key for this upstream (another key file, a row
    /// copied from another upstream, tampering).</exception>
    public static UpstreamCredential Open(KeyEncryptionKey kek, string upstream, ReadOnlySpan<byte> sealedCredential)
    {
        ArgumentNullException.ThrowIfNull(kek);
        byte[] plain = kek.Open(Purpose, upstream, sealedCredential);
        try
        {
            if (plain.Length < 2) throw new CryptographicException("the stored credentials are not in a known form");
            int user = BinaryPrimitives.ReadUInt16BigEndian(plain);
            if (plain.Length < 2 + user) throw new CryptographicException("the stored credentials are not in a known form");
            return new UpstreamCredential(Encoding.UTF8.GetString(plain, 2, user), Encoding.UTF8.GetString(plain, 2 + user, plain.Length - 2 - user));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }
}
