using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Bollard.Trust.Keys;

/// <summary>
/// cosign's password-protected private key files (<c>cosign generate-key-pair</c>, <c>cosign import-key-pair</c>): a PEM
/// block labelled <c>ENCRYPTED SIGSTORE PRIVATE KEY</c> (older cosign: <c>ENCRYPTED COSIGN PRIVATE KEY</c>) whose body is
/// the JSON of secure-systems-lab's <c>encrypted</c> package:
/// <code>
/// {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"&lt;base64, 32 bytes&gt;"},
///  "cipher":{"name":"nacl/secretbox","nonce":"&lt;base64, 24 bytes&gt;"},
///  "ciphertext":"&lt;base64: Poly1305 tag (16) || XSalsa20 ciphertext of the PKCS#8 DER&gt;"}
/// </code>
/// The secretbox key is scrypt(password, salt, N, r, p, 32). Scrypt parameters come from the file, so they are bounded
/// before any work: a hostile file cannot make Bollard allocate gigabytes or spin for minutes.
/// </summary>
public static class CosignPrivateKey
{
    public const string SigstoreLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
    public const string LegacyCosignLabel = "ENCRYPTED COSIGN PRIVATE KEY";

    /// <summary>The parameters cosign writes (go-securesystemslib encrypted: N=2^15, r=8, p=1; 32 MiB, well under a second).</summary>
    public static ScryptParameters DefaultParameters { get; } = new(32768, 8, 1);

    /// <summary>Largest key file read (cosign's are under 1 KiB).</summary>
    public const int MaxFileLength = 64 * 1024;

    /// <summary>scrypt memory is 128·N·r bytes: at most 256 MiB (8 times cosign's default).</summary>
    public const long MaxScryptMemoryBytes = 256L * 1024 * 1024;

    /// <summary>scrypt work is about N·r·p block mixes: at most 16 times cosign's default.</summary>
    public const long MaxScryptWork = 16L * 32768 * 8;

    private const int KeyLength = 32;
    private const int NonceLength = 24;
    private const int SaltLength = 32;
    private const int TagLength = 16;

    /// <summary>Whether <paramref name="pem"/> holds a cosign encrypted private key (by its label).</summary>
    public static bool IsEncryptedCosignKey(string pem) =>
        pem is not null && (pem.Contains("-----BEGIN " + SigstoreLabel + "-----", StringComparison.Ordinal) || pem.Contains("-----BEGIN " + LegacyCosignLabel + "-----", StringComparison.Ordinal));

    /// <summary>Loads a private key file: a cosign encrypted key with <paramref name="password"/>, or an unencrypted PEM key.</summary>
    /// <exception cref="FormatException">As <see cref="Decrypt"/> and <see cref="LocalSigner.FromPem"/>; an encrypted key without a password.</exception>
    public static LocalSigner Load(string pem, string? password, bool rsaPss = false)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!IsEncryptedCosignKey(pem)) return LocalSigner.FromPem(pem, rsaPss);
        if (password is null) throw new FormatException("the key is encrypted (ENCRYPTED SIGSTORE PRIVATE KEY): give its password");
        return Decrypt(pem, password, rsaPss);
    }

    /// <summary>Decrypts a cosign key file and loads the key in it.</summary>
    /// <exception cref="FormatException">
    /// Not a cosign encrypted key, malformed JSON, an unsupported KDF or cipher, scrypt parameters beyond the bounds, a
    /// wrong password (<c>wrong password</c>: the secretbox tag does not verify), or a decrypted key that is not PKCS#8.
    /// </exception>
    public static LocalSigner Decrypt(string pem, string password, bool rsaPss = false)
    {
        ArgumentNullException.ThrowIfNull(pem);
        ArgumentNullException.ThrowIfNull(password);
        // Not cleared here: the signer keeps this array as its key.
        return LocalSigner.FromPkcs8(DecryptToPkcs8(pem, password), rsaPss, []);
    }

    /// <summary>The decrypted PKCS#8 DER (the caller clears it after use).</summary>
    /// <exception cref="FormatException">As <see cref="Decrypt"/>.</exception>
    public static byte[] DecryptToPkcs8(string pem, string password)
    {
        ArgumentNullException.ThrowIfNull(pem);
        ArgumentNullException.ThrowIfNull(password);
        if (pem.Length > MaxFileLength) throw new FormatException($"the key file is larger than {MaxFileLength / 1024} KiB; cosign key files are under 1 KiB");
        byte[] body = ReadPemBody(pem);
        var (parameters, salt, nonce, sealedBox) = ParseEnvelope(body);
        byte[] key = DeriveKey(password, salt, parameters);
        try
        {
            return SecretBox.Open(sealedBox, nonce, key) ?? throw new FormatException("wrong password: the key does not decrypt (nacl/secretbox authentication failed)");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Encrypts <paramref name="signer"/>'s private key as cosign does, for a file cosign and Bollard both read.</summary>
    /// <param name="parameters">scrypt cost; null: <see cref="DefaultParameters"/>. Bounded like a file being read.</param>
    /// <returns>The PEM text, <c>-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----</c>, ending with a newline.</returns>
    /// <exception cref="ArgumentException">The parameters are beyond the bounds.</exception>
    public static string Encrypt(LocalSigner signer, string password, ScryptParameters? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        byte[] pkcs8 = signer.ExportPkcs8();
        try
        {
            return Encrypt(pkcs8, password, parameters);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <inheritdoc cref="Encrypt(LocalSigner, string, ScryptParameters?)"/>
    public static string Encrypt(byte[] pkcs8, string password, ScryptParameters? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(pkcs8);
        ArgumentNullException.ThrowIfNull(password);
        var p = parameters ?? DefaultParameters;
        if (p.Problem() is { } problem) throw new ArgumentException(problem, nameof(parameters));
        byte[] salt = RandomNumberGenerator.GetBytes(SaltLength);
        byte[] nonce = RandomNumberGenerator.GetBytes(NonceLength);
        byte[] key = DeriveKey(password, salt, p);
        byte[] sealedBox;
        try
        {
            sealedBox = SecretBox.Seal(pkcs8, nonce, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        // Field order as go-securesystemslib writes it (kdf, cipher, ciphertext); []byte fields are standard base64.
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("kdf");
            json.WriteString("name", "scrypt");
            json.WriteStartObject("params");
            json.WriteNumber("N", p.N);
            json.WriteNumber("r", p.R);
            json.WriteNumber("p", p.P);
            json.WriteEndObject();
            json.WriteBase64String("salt", salt);
            json.WriteEndObject();
            json.WriteStartObject("cipher");
            json.WriteString("name", "nacl/secretbox");
            json.WriteBase64String("nonce", nonce);
            json.WriteEndObject();
            json.WriteBase64String("ciphertext", sealedBox);
            json.WriteEndObject();
        }
        return PemEncoding.WriteString(SigstoreLabel, buffer.ToArray()) + "\n";
    }

    /// <summary>
    /// The base64 body of the first cosign-labelled block. Read by hand rather than with <see cref="PemEncoding"/>: cosign's
    /// own test vector has text after the END line, which strict RFC 7468 parsing refuses.
    /// </summary>
    private static byte[] ReadPemBody(string pem)
    {
        foreach (string label in (string[])[SigstoreLabel, LegacyCosignLabel])
        {
            string begin = "-----BEGIN " + label + "-----";
            int start = pem.IndexOf(begin, StringComparison.Ordinal);
            if (start < 0) continue;
            start += begin.Length;
            string end = "-----END " + label + "-----";
            int stop = pem.IndexOf(end, start, StringComparison.Ordinal);
            if (stop < 0) throw new FormatException($"the key has no '{end}' line");
            var base64 = new StringBuilder(stop - start);
            foreach (char c in pem.AsSpan(start, stop - start))
                if (!char.IsWhiteSpace(c)) base64.Append(c);
            try
            {
                return Convert.FromBase64String(base64.ToString());
            }
            catch (FormatException)
            {
                throw new FormatException($"the {label} block is not valid base64");
            }
        }
        throw new FormatException($"not a cosign encrypted key (expected -----BEGIN {SigstoreLabel}-----)");
    }

    private static (ScryptParameters Parameters, byte[] Salt, byte[] Nonce, byte[] SealedBox) ParseEnvelope(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            var kdf = Member(root, "kdf", JsonValueKind.Object);
            string kdfName = Member(kdf, "name", JsonValueKind.String).GetString()!;
            if (kdfName != "scrypt") throw new FormatException($"key derivation '{kdfName}' is not supported (cosign keys use scrypt)");
            var args = Member(kdf, "params", JsonValueKind.Object);
            var parameters = new ScryptParameters(Integer(args, "N"), Integer(args, "r"), Integer(args, "p"));
            if (parameters.Problem() is { } problem) throw new FormatException($"the key's scrypt parameters are refused: {problem}");
            byte[] salt = Base64(kdf, "salt");
            if (salt.Length == 0) throw new FormatException("the key's scrypt salt is empty");

            var cipher = Member(root, "cipher", JsonValueKind.Object);
            string cipherName = Member(cipher, "name", JsonValueKind.String).GetString()!;
            if (cipherName != "nacl/secretbox") throw new FormatException($"cipher '{cipherName}' is not supported (cosign keys use nacl/secretbox)");
            byte[] nonce = Base64(cipher, "nonce");
            if (nonce.Length != NonceLength) throw new FormatException($"the secretbox nonce is {nonce.Length} bytes, not {NonceLength}");
            byte[] sealedBox = Base64(root, "ciphertext");
            if (sealedBox.Length <= TagLength) throw new FormatException("the key's ciphertext is too short to hold a key");
            return (parameters, salt, nonce, sealedBox);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the key's body is not the JSON cosign writes: {e.Message}", e);
        }
    }

    private static JsonElement Member(JsonElement element, string name, JsonValueKind kind)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind != kind)
            throw new FormatException($"the key's JSON lacks '{name}' ({kind.ToString().ToLowerInvariant()})");
        return value;
    }

    private static byte[] Base64(JsonElement element, string name) =>
        Member(element, name, JsonValueKind.String).TryGetBytesFromBase64(out byte[]? bytes) ? bytes : throw new FormatException($"the key's '{name}' is not base64");

    private static long Integer(JsonElement element, string name)
    {
        var value = Member(element, name, JsonValueKind.Number);
        return value.TryGetInt64(out long n) ? n : throw new FormatException($"the key's scrypt parameter {name} is not an integer");
    }

    private static byte[] DeriveKey(string password, byte[] salt, ScryptParameters parameters)
    {
        byte[] secret = Encoding.UTF8.GetBytes(password);
        try
        {
            return SCrypt.Generate(secret, salt, (int)parameters.N, (int)parameters.R, (int)parameters.P, KeyLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// NaCl <c>crypto_secretbox</c> (XSalsa20-Poly1305), as Go's <c>golang.org/x/crypto/nacl/secretbox</c>: the first 32
    /// bytes of the XSalsa20 key stream are the Poly1305 one-time key, the rest encrypts; the box is tag || ciphertext.
    /// </summary>
    internal static class SecretBox
    {
        public static byte[] Seal(ReadOnlySpan<byte> message, byte[] nonce, byte[] key)
        {
            var (stream, macKey) = Start(nonce, key);
            byte[] box = new byte[TagLength + message.Length];
            stream.ProcessBytes(message, box.AsSpan(TagLength));
            Tag(macKey, box.AsSpan(TagLength), box.AsSpan(0, TagLength));
            CryptographicOperations.ZeroMemory(macKey);
            return box;
        }

        /// <returns>null when the tag does not verify (wrong key, or the box was changed).</returns>
        public static byte[]? Open(ReadOnlySpan<byte> box, byte[] nonce, byte[] key)
        {
            if (box.Length < TagLength) return null;
            var (stream, macKey) = Start(nonce, key);
            Span<byte> expected = stackalloc byte[TagLength];
            Tag(macKey, box[TagLength..], expected);
            CryptographicOperations.ZeroMemory(macKey);
            if (!CryptographicOperations.FixedTimeEquals(expected, box[..TagLength])) return null;
            byte[] message = new byte[box.Length - TagLength];
            stream.ProcessBytes(box[TagLength..], message);
            return message;
        }

        private static (XSalsa20Engine Stream, byte[] MacKey) Start(byte[] nonce, byte[] key)
        {
            var stream = new XSalsa20Engine();
            stream.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
            byte[] macKey = new byte[32];
            stream.ProcessBytes(new byte[32], macKey);
            return (stream, macKey);
        }

        private static void Tag(byte[] macKey, ReadOnlySpan<byte> ciphertext, Span<byte> tag)
        {
            // BouncyCastle's Poly1305 without a cipher takes the 32-byte one-time key r || s and clamps r itself.
            var mac = new Poly1305();
            mac.Init(new KeyParameter(macKey));
            mac.BlockUpdate(ciphertext);
            mac.DoFinal(tag);
        }
    }
}
