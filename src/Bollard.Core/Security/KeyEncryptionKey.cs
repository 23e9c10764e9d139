using System.Security.Cryptography;
using System.Text;

namespace Bollard.Core.Security;

/// <summary>
/// The server's key for secrets at rest in the metadata database (server-held signing keys, issue 9; upstream
/// credentials of the mirror, issue 10): 32 random bytes in a file (<c>Trust:KeyEncryptionKeyFile</c>, by default
/// <c>signing-keys.kek</c> in the data folder), created 0600 on first use when absent. Keep it out of database backups:
/// the database alone then holds no usable secret. Sealed form:
/// <code>
/// 0x01 | nonce (12) | tag (16) | AES-256-GCM ciphertext
/// </code>
/// with <c>purpose NUL name</c> as associated data, so a sealed value copied to another row (another name) or used for
/// another purpose does not open. Never logged.
/// </summary>
public sealed class KeyEncryptionKey
{
    private const byte Version = 1;
    private const int KeyBytes = 32;
    private readonly byte[] _key;

    private KeyEncryptionKey(byte[] key) => _key = key;

    public static KeyEncryptionKey FromBytes(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != KeyBytes) throw new ArgumentException($"a key-encryption key is {KeyBytes} bytes, not {key.Length}", nameof(key));
        return new((byte[])key.Clone());
    }

    /// <summary>Reads the file, or creates it (0600, 32 random bytes) when it does not exist.</summary>
    /// <exception cref="InvalidOperationException">The file exists but is not 32 bytes (the message names it; never its content).</exception>
    public static KeyEncryptionKey LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null) Directory.CreateDirectory(folder);
            string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            try
            {
                using (var file = new FileStream(temp, options))
                {
                    file.Write(RandomNumberGenerator.GetBytes(KeyBytes));
                    file.Flush(true);
                }
                // Two servers starting together: the first move wins and the other reads the winner's key.
                try
                {
                    File.Move(temp, path, overwrite: false);
                }
                catch (IOException) when (File.Exists(path))
                {
                }
            }
            finally
            {
                File.Delete(temp);
            }
        }
        byte[] key = File.ReadAllBytes(path);
        if (key.Length != KeyBytes)
            throw new InvalidOperationException($"the key-encryption key file {path} (Trust:KeyEncryptionKeyFile) must hold exactly {KeyBytes} bytes; it holds {key.Length}");
        return new(key);
    }

    /// <param name="purpose">What the secret is (<c>bollard image signing key</c>); part of the associated data.</param>
    /// <param name="name">The row it belongs to (a key's or an upstream's name); part of the associated data.</param>
    public byte[] Seal(string purpose, string name, ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedKey = new byte[1 + 12 + 16 + plaintext.Length];
        sealedKey[0] = Version;
        var nonce = sealedKey.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plaintext, sealedKey.AsSpan(29), sealedKey.AsSpan(13, 16), Associated(purpose, name));
        return sealedKey;
    }

    /// <exception cref="CryptographicException">Not sealed by this key for this purpose and name (another key file, a copied row, tampering).</exception>
    public byte[] Open(string purpose, string name, ReadOnlySpan<byte> sealedKey)
    {
        if (sealedKey.Length < 29 || sealedKey[0] != Version) throw new CryptographicException("the stored secret is not in a known sealed form");
        byte[] plaintext = new byte[sealedKey.Length - 29];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(sealedKey.Slice(1, 12), sealedKey[29..], sealedKey.Slice(13, 16), plaintext, Associated(purpose, name));
        return plaintext;
    }

    private static byte[] Associated(string purpose, string name) => Encoding.UTF8.GetBytes(purpose + "\0" + name);
}
