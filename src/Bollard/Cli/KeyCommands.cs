using System.CommandLine;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary>
/// <c>bollard key create|import|list|show|public-key|allow|delete|sign</c>: server-held image signing keys
/// (<c>/api/v1/signing-keys</c>). The private key never leaves the server: <c>sign</c> asks the server to sign an image
/// with a key the caller is allowed to use, so a CI robot signs without ever seeing the key.
/// </summary>
internal static class KeyCommands
{
    public static Command Create() => BollardCli.Group("key", "Server-held image signing keys: create, import, allow principals, sign with them",
        CreateKey(), ImportKey(), ListKeys(), ShowKey(), PublicKey(), Allow(), DeleteKey(), Sign());

    private static string PathOf(string name) => "/api/v1/signing-keys/" + Uri.EscapeDataString(name);

    private static Option<string[]> Principals(string description) =>
        new("--principal") { Description = description, HelpName = "USER|robot$NAME" };

    private static Command CreateKey()
    {
        var name = new Argument<string>("NAME") { Description = "The key's name (a-z, 0-9, '.', '_', '-')" };
        var algorithm = new Option<string?>("--algorithm") { Description = "ecdsa-p256 (default), ecdsa-p384, ed25519, rsa-3072 or rsa-3072-pss", HelpName = "ALG" };
        var principals = Principals("A user or robot allowed to sign with the key (repeatable; admins manage, only these sign)");
        return BollardCli.Leaf("create", "Generate a signing key on the server (admin); prints its public key", async ctx =>
        {
            using var client = ctx.Client();
            var request = new SigningKeyRequest(ctx.Parse.GetValue(name), ctx.Parse.GetValue(algorithm), null, null, null, ctx.Parse.GetValue(principals) ?? []);
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/signing-keys", ManagementClient.Json(request, SigningApiJson.Default.SigningKeyRequest),
                ctx.Cancellation).ConfigureAwait(false);
            var key = client.Parse(body, SigningApiJson.Default.SigningKeyView);
            ctx.Print(body, () => Describe(key, created: true));
            return 0;
        }, name, algorithm, principals);
    }

    private static Command ImportKey()
    {
        var name = new Argument<string>("NAME") { Description = "The key's name on the server" };
        var file = new Argument<string>("FILE") { Description = "Private key: PEM (PKCS#8, EC, RSA) or a cosign encrypted key (ENCRYPTED SIGSTORE PRIVATE KEY)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the key's password from standard input (an encrypted cosign key; else asked)" };
        var rsaPss = new Option<bool>("--rsa-pss") { Description = "Sign with RSA-PSS instead of PKCS#1 v1.5 (RSA keys)" };
        var principals = Principals("A user or robot allowed to sign with the key (repeatable)");
        return BollardCli.Leaf("import", "Import a private key to the server (admin); it is stored sealed and never shown again", async ctx =>
        {
            string path = ctx.Parse.GetValue(file)!;
            string pem;
            try
            {
                if (new FileInfo(path).Length > 64 * 1024) throw CliException.Usage($"{path}: larger than 64 KiB; not a private key file");
                pem = await File.ReadAllTextAsync(path, ctx.Cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CliException.Usage($"{path}: {e.Message}");
            }
            string? password = pem.Contains("ENCRYPTED", StringComparison.Ordinal)
                ? Terminal.ReadSecrets(ctx.Parse.GetValue(passwordStdin), false, $"Password for {Path.GetFileName(path)}: ")[0]
                : null;
            using var client = ctx.Client();
            var request = new SigningKeyRequest(ctx.Parse.GetValue(name), null, pem, password, ctx.Parse.GetValue(rsaPss), ctx.Parse.GetValue(principals) ?? []);
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/signing-keys", ManagementClient.Json(request, SigningApiJson.Default.SigningKeyRequest),
                ctx.Cancellation).ConfigureAwait(false);
            var key = client.Parse(body, SigningApiJson.Default.SigningKeyView);
            ctx.Print(body, () => Describe(key, created: true));
            return 0;
        }, name, file, passwordStdin, rsaPss, principals);
    }

    private static Command ListKeys() => BollardCli.Leaf("list", "List signing keys with their fingerprints and allowed principals (admin)", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/signing-keys", null, ctx.Cancellation).ConfigureAwait(false);
        var keys = client.Parse(body, SigningApiJson.Default.ListSigningKeyView);
        ctx.Print(body, () => Output.Table(["NAME", "ALGORITHM", "FINGERPRINT", "PRINCIPALS"],
            keys.Select(k => new[] { k.Name, k.Algorithm, k.Fingerprint[..16], k.Principals.Count == 0 ? "(none)" : string.Join(",", k.Principals) }),
            "No signing keys."));
        return 0;
    });

    private static Command ShowKey()
    {
        var name = new Argument<string>("NAME") { Description = "The key's name" };
        return BollardCli.Leaf("show", "A key's algorithm, fingerprint, principals and public key (admin, or a principal allowed to use it)", async ctx =>
        {
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, PathOf(ctx.Parse.GetValue(name)!), null, ctx.Cancellation).ConfigureAwait(false);
            var key = client.Parse(body, SigningApiJson.Default.SigningKeyView);
            ctx.Print(body, () => Describe(key, created: false));
            return 0;
        }, name);
    }

    private static Command PublicKey()
    {
        var name = new Argument<string>("NAME") { Description = "The key's name" };
        return BollardCli.Leaf("public-key", "Print the public key as PEM (for 'bollard verify --key' or cosign verify --key)", async ctx =>
        {
            using var client = ctx.Client();
            string pem = await client.SendAsync(HttpMethod.Get, PathOf(ctx.Parse.GetValue(name)!) + "/public-key", null, ctx.Cancellation).ConfigureAwait(false);
            Console.Out.Write(pem.EndsWith('\n') ? pem : pem + "\n");
            return 0;
        }, name);
    }

    private static Command Allow()
    {
        var name = new Argument<string>("NAME") { Description = "The key's name" };
        var principals = Principals("A user or robot allowed to sign with the key (repeatable; the list replaces the old one; none: nobody)");
        return BollardCli.Leaf("allow", "Replace who may sign with the key (admin)", async ctx =>
        {
            using var client = ctx.Client();
            var request = new SigningKeyPrincipalsRequest(ctx.Parse.GetValue(principals) ?? []);
            string body = await client.SendAsync(HttpMethod.Put, PathOf(ctx.Parse.GetValue(name)!) + "/principals",
                ManagementClient.Json(request, SigningApiJson.Default.SigningKeyPrincipalsRequest), ctx.Cancellation).ConfigureAwait(false);
            var key = client.Parse(body, SigningApiJson.Default.SigningKeyView);
            ctx.Print(body, () => Console.Out.WriteLine($"Key {key.Name}: {(key.Principals.Count == 0 ? "nobody may sign with it" : "may be used by " + string.Join(", ", key.Principals))}."));
            return 0;
        }, name, principals);
    }

    private static Command DeleteKey()
    {
        var name = new Argument<string>("NAME") { Description = "The key's name" };
        return BollardCli.Leaf("delete", "Delete a key: its signatures stay, policies naming it as serverKey stop trusting them (admin)", async ctx =>
        {
            string n = ctx.Parse.GetValue(name)!;
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, PathOf(n), null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Deleted signing key {n}.");
            return 0;
        }, name);
    }

    private static Command Sign()
    {
        var name = new Argument<string>("KEY") { Description = "The server key to sign with" };
        var image = new Argument<string>("IMAGE") { Description = "REPOSITORY:TAG or REPOSITORY@sha256:... on this server" };
        var formats = new Option<string[]>("--format") { Description = "cosign, sigstore-bundle or notation (repeatable; default cosign and sigstore-bundle)", HelpName = "FORMAT" };
        return BollardCli.Leaf("sign", "Sign an image with a server-held key; the server signs and attaches the signatures (an allowed principal with push)", async ctx =>
        {
            var (repository, reference) = SplitImage(ctx.Parse.GetValue(image)!);
            string key = ctx.Parse.GetValue(name)!;
            var wanted = ctx.Parse.GetValue(formats) is { Length: > 0 } f ? f : null;
            using var client = ctx.Client();
            var (body, result) = await SignOnServerAsync(client, key, repository, reference, wanted, ctx.Cancellation).ConfigureAwait(false);
            ctx.Print(body, () => PrintSigned(result, $"{result.Repository}@{result.Digest}", $"key {result.Key}"));
            return 0;
        }, name, image, formats);
    }

    /// <summary>Asks the server to sign with its key <paramref name="key"/> (<c>POST /api/v1/signing-keys/KEY/sign</c>): shared by <c>bollard key sign</c> and <c>bollard sign --server-key</c>.</summary>
    internal static async Task<(string Body, SignResultView Result)> SignOnServerAsync(ManagementClient client, string key, string repository, string reference,
        IReadOnlyList<string>? formats, CancellationToken ct)
    {
        var request = new SignRequest(repository, reference, formats);
        string body = await client.SendAsync(HttpMethod.Post, PathOf(key) + "/sign", ManagementClient.Json(request, SigningApiJson.Default.SignRequest), ct)
            .ConfigureAwait(false);
        return (body, client.Parse(body, SigningApiJson.Default.SignResultView));
    }

    internal static void PrintSigned(SignResultView result, string image, string keyLabel)
    {
        Console.Out.WriteLine($"Signed {image} with {keyLabel} ({result.Fingerprint[..16]}):");
        foreach (var s in result.Signatures)
            Console.Out.WriteLine($"  {s.Format,-16} {s.Manifest}{(s.Tag is null ? "" : " tag " + s.Tag)}{(s.AlreadyPresent ? " (already there)" : "")}");
    }

    /// <summary><c>repo:tag</c> or <c>repo@digest</c>; a bare repository is refused (which tag is meant must be said).</summary>
    internal static (string Repository, string Reference) SplitImage(string text)
    {
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at > 0) return (text[..at], text[(at + 1)..]);
        int colon = text.LastIndexOf(':');
        if (colon > 0 && colon > text.LastIndexOf('/')) return (text[..colon], text[(colon + 1)..]);
        throw CliException.Usage($"IMAGE '{text}' needs a tag or a digest: REPOSITORY:TAG or REPOSITORY@sha256:...");
    }

    private static void Describe(SigningKeyView key, bool created)
    {
        var o = Console.Out;
        o.WriteLine(created ? $"Created signing key {key.Name} ({key.Algorithm})." : $"Signing key {key.Name} ({key.Algorithm})");
        o.WriteLine($"  fingerprint: {key.Fingerprint}");
        o.WriteLine($"  principals:  {(key.Principals.Count == 0 ? "(none: allow some with 'bollard key allow')" : string.Join(", ", key.Principals))}");
        o.WriteLine("  public key:");
        foreach (string line in key.PublicKeyPem.TrimEnd().Split('\n')) o.WriteLine("    " + line);
    }
}
