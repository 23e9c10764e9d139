using System.Security.Cryptography;
using Bollard.Trust.Keys;

namespace Bollard.Cli.Signing;

/// <summary>Reading key, certificate and trust files for the signing commands: bounded, and every problem a one-line usage error.</summary>
internal static class KeyFiles
{
    /// <summary>A key or certificate file is small; anything larger is not one.</summary>
    public const int MaxPemBytes = 1024 * 1024;

    /// <summary>A Sigstore trusted_root.json (a few certificate authorities and logs) fits well within this.</summary>
    public const int MaxTrustedRootBytes = 4 * 1024 * 1024;

    /// <summary>The text of a file given to <paramref name="option"/>, at most <paramref name="max"/> bytes.</summary>
    public static string ReadText(string path, string option, int max = MaxPemBytes)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw CliException.Usage($"{option} '{path}': no such file");
            if (info.Length > max) throw CliException.Usage($"{option} '{path}' is larger than {max >> 10} KiB: not a key or certificate file");
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"{option} '{path}' cannot be read: {e.Message}");
        }
    }

    /// <summary>Every <c>CERTIFICATE</c> PEM block of a file (leaf first when it is a chain), checked to parse.</summary>
    public static List<string> ReadCertificates(string path, string option)
    {
        string text = ReadText(path, option);
        var certificates = new List<string>();
        int offset = 0;
        while (offset < text.Length && PemEncoding.TryFind(text.AsSpan(offset), out var fields))
        {
            var block = text.AsSpan(offset)[fields.Location];
            if (text.AsSpan(offset)[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                try
                {
                    using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(block);
                }
                catch (CryptographicException e)
                {
                    throw CliException.Usage($"{option} '{path}': a certificate does not parse ({e.Message})");
                }
                certificates.Add(block.ToString());
            }
            offset += fields.Location.End.Value;
        }
        if (certificates.Count == 0) throw CliException.Usage($"{option} '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return certificates;
    }

    /// <summary>A public key file (PEM SubjectPublicKeyInfo), checked to parse.</summary>
    public static string ReadPublicKey(string path, string option)
    {
        string pem = ReadText(path, option);
        try
        {
            _ = VerificationKey.FromPem(pem);
        }
        catch (FormatException e)
        {
            throw CliException.Usage($"{option} '{path}': {e.Message}");
        }
        return pem;
    }

    /// <summary>
    /// The private key of <c>--key</c>: unencrypted PEM, or a cosign encrypted key (<c>ENCRYPTED SIGSTORE PRIVATE KEY</c>)
    /// whose password <paramref name="password"/> supplies (called only for an encrypted key).
    /// </summary>
    public static LocalSigner LoadSigner(string path, Func<string> password, IReadOnlyList<string> chain, bool rsaPss)
    {
        string pem = ReadText(path, "--key");
        try
        {
            if (CosignPrivateKey.IsEncryptedCosignKey(pem))
            {
                byte[] pkcs8 = CosignPrivateKey.DecryptToPkcs8(pem, password());
                return LocalSigner.FromPkcs8(pkcs8, rsaPss, chain);
            }
            return LocalSigner.FromPem(pem, rsaPss, chain);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            throw CliException.Usage($"--key '{path}': {e.Message}");
        }
    }

    /// <summary>
    /// The password of an encrypted key: one line of standard input with <paramref name="fromStdin"/>, else
    /// <c>$BOLLARD_KEY_PASSWORD</c>, else <c>$COSIGN_PASSWORD</c> (cosign's variable; set and empty is an empty password,
    /// as cosign takes it), else asked on the terminal.
    /// </summary>
    public static string KeyPassword(bool fromStdin, bool confirm)
    {
        if (fromStdin) return Terminal.ReadSecrets(true, false, "Key password: ")[0];
        if (Environment.GetEnvironmentVariable("BOLLARD_KEY_PASSWORD") is { } bollard) return bollard;
        if (Environment.GetEnvironmentVariable("COSIGN_PASSWORD") is { } cosign) return cosign;
        if (Console.IsInputRedirected)
            throw CliException.Usage("the key is encrypted and standard input is not a terminal: give its password with --password-stdin, BOLLARD_KEY_PASSWORD or COSIGN_PASSWORD");
        return Terminal.ReadSecrets(false, confirm, "Key password: ")[0];
    }
}
