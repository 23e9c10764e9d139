using System.CommandLine;
using System.Text.Json;
using Bollard.Core.Client;
using Bollard.Core.Oci;
using Bollard.Trust.Signatures;
using Bollard.Trust.Signing;

namespace Bollard.Cli.Signing;

/// <summary>
/// <c>bollard sign IMAGE --key FILE</c>: resolves the image to its manifest digest once, signs that digest in each asked
/// format (cosign <c>.sig</c> layer, Sigstore bundle referrer, Notation JWS referrer) and attaches the signatures to the
/// image in its registry (any registry; Bollard makes the <c>.sig</c> append atomic). Exit codes: 0 attached, 1 the registry refused or failed, 2 usage errors
/// (a bad image, key or flag) and an unreachable registry.
/// </summary>
internal static class SignCommand
{
    private static readonly (string Name, SignatureFormat Format)[] Formats =
        [("cosign", SignatureFormat.Cosign), ("sigstore-bundle", SignatureFormat.SigstoreBundle), ("notation", SignatureFormat.NotationJws)];

    public static Command Create()
    {
        var o = new RegistryOptions();
        var key = new Option<string?>("--key") { Description = "Private key file: PEM (PKCS#8, EC, RSA) or a cosign encrypted key", HelpName = "FILE" };
        var cert = new Option<string?>("--cert") { Description = "Certificate chain (PEM, leaf first) of the key, for Notation and certificate signatures", HelpName = "FILE" };
        var format = new Option<string[]>("--format") { Description = "cosign, sigstore-bundle or notation (repeatable; default cosign and sigstore-bundle)", HelpName = "FORMAT" };
        var annotations = new Option<string[]>("--annotation", "-a") { Description = "An annotation key=value to sign with (repeatable)", HelpName = "KEY=VALUE" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the key's password from standard input (else $BOLLARD_KEY_PASSWORD, $COSIGN_PASSWORD, or asked)" };
        var rsaPss = new Option<bool>("--rsa-pss") { Description = "Sign with RSA-PSS instead of PKCS#1 v1.5 (RSA keys)" };
        var output = new Option<string>("--output") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var serverKey = new Option<string?>("--server-key")
        {
            Description = "Sign with this server-held key of the Bollard the image is on (the server signs; you never hold the key; you must be one of its principals)",
            HelpName = "NAME",
        };
        var command = new Command("sign", "Sign an image in a registry and attach the signatures (cosign, Sigstore bundle, Notation)");
        o.AddTo(command);
        foreach (var option in new Option[] { key, cert, format, annotations, passwordStdin, rsaPss, output, serverKey }) command.Options.Add(option);
        command.SetAction((parse, ct) => BollardCli.RunAsync(async () =>
        {
            bool json = SignatureNames.ParseOutput(parse.GetValue(output));
            var image = o.ParseImage(parse);
            var formats = ParseFormats(parse.GetValue(format));
            var extra = ParseAnnotations(parse.GetValue(annotations));
            string? keyFile = parse.GetValue(key);
            if (parse.GetValue(serverKey) is { } held)
            {
                if (keyFile is not null || parse.GetValue(cert) is not null || extra.Count > 0 || parse.GetValue(rsaPss))
                    throw CliException.Usage("--server-key signs on the server with its own key: --key, --cert, --annotation and --rsa-pss do not apply");
                return await SignOnServerAsync(parse, o, image, held, formats, json, ct).ConfigureAwait(false);
            }
            if (keyFile is null) throw CliException.Usage("give the private key: --key FILE (or --server-key NAME)");

            var chain = parse.GetValue(cert) is { } chainFile ? KeyFiles.ReadCertificates(chainFile, "--cert") : [];
            if (formats.Contains(SignatureFormat.NotationJws) && chain.Count == 0)
                throw CliException.Usage("--format notation needs the key's certificate chain: give --cert chain.pem");
            var signer = KeyFiles.LoadSigner(keyFile, () => KeyFiles.KeyPassword(parse.GetValue(passwordStdin), confirm: false), chain, parse.GetValue(rsaPss));
            var producers = formats.Select(f => SignatureVerifiers.ProducerFor(f)
                ?? throw CliException.Usage($"this bollard cannot make {SignatureNames.Name(f)} signatures")).ToList();

            using var client = o.Client(parse, image);
            try
            {
                var head = await client.HeadManifestAsync(image.Repository, image.Reference, ct).ConfigureAwait(false)
                    ?? throw CliException.Failure($"{image}: not found");
                var input = new SigningInput(image.Host, image.Repository, head.Digest, head.MediaType, head.Size, DateTimeOffset.UtcNow) { Annotations = extra };
                var sink = new RegistryClientArtifactSink(client);
                await sink.ProbeReferrersAsync(image.Repository, head.Digest, ct).ConfigureAwait(false);
                var attacher = new SignatureAttacher(sink, new SignatureAttacherOptions());
                var results = new List<AttachResult>();
                foreach (var producer in producers)
                {
                    SignatureArtifact artifact;
                    try
                    {
                        artifact = producer.Create(input, signer);
                    }
                    catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or System.Security.Cryptography.CryptographicException)
                    {
                        throw CliException.Usage($"cannot make a {SignatureNames.Name(producer.Format)} signature with this key: {e.Message}");
                    }
                    try
                    {
                        results.Add(await attacher.AttachAsync(input, artifact, ct).ConfigureAwait(false));
                    }
                    catch (SignatureAttachException e)
                    {
                        throw CliException.Failure($"{image.WithDigest(head.Digest)}: the {SignatureNames.Name(producer.Format)} signature cannot be attached: {e.Message}");
                    }
                }
                Print(json, image.WithDigest(head.Digest), image.Digest is null ? image.Tag : null, signer.KeyFingerprint, results);
                return 0;
            }
            catch (RegistryClientException e)
            {
                throw Translate(e);
            }
        }));
        return command;
    }

    /// <summary>
    /// <c>--server-key</c>: asks the Bollard the image is on to sign it with a key it holds
    /// (<c>POST /api/v1/signing-keys/NAME/sign</c>), with the registry credentials of the flags, the environment or the
    /// docker config; plain HTTP for loopback or with <c>--insecure</c>.
    /// </summary>
    private static async Task<int> SignOnServerAsync(ParseResult parse, RegistryOptions o, ImageReference image, string keyName,
        List<SignatureFormat> formats, bool json, CancellationToken ct)
    {
        string server = (parse.GetValue(o.Insecure) || ServerUrl.IsLoopback("http://" + image.Host) ? "http://" : "https://") + image.Host;
        RegistryCredentials? credentials;
        try
        {
            credentials = CliRegistryCredentials.Find(image.Host, parse.GetValue(o.Username), parse.GetValue(o.Password));
        }
        catch (RegistryClientException e)
        {
            throw CliException.Usage(e.Message);
        }
        if (credentials is null) throw CliException.Usage($"--server-key needs credentials for {image.Host}: -u/-p, BOLLARD_USERNAME/BOLLARD_PASSWORD or docker login");
        using var client = new ManagementClient(server, new CliCredentials(credentials.Username, credentials.Password, "registry"));
        var names = formats.Select(f => Formats.First(x => x.Format == f).Name).ToList();
        var (body, result) = await KeyCommands.SignOnServerAsync(client, keyName, image.Repository, image.Reference, names, ct).ConfigureAwait(false);
        if (json) Console.Out.WriteLine(body);
        else KeyCommands.PrintSigned(result, $"{image.Host}/{result.Repository}@{result.Digest}", $"server key {result.Key}");
        return 0;
    }

    /// <summary>An unreachable registry is exit code 2, like a usage error (nothing was decided); a refusal is 1.</summary>
    public static CliException Translate(RegistryClientException e) =>
        e.Error == RegistryClientError.Unreachable ? CliException.Usage(e.Message) : CliException.Failure(e.Message, e.Status);

    private static List<SignatureFormat> ParseFormats(string[]? values)
    {
        if (values is null || values.Length == 0) return [SignatureFormat.Cosign, SignatureFormat.SigstoreBundle];
        var result = new List<SignatureFormat>();
        foreach (string value in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            var match = Formats.FirstOrDefault(f => f.Name.Equals(value, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null) throw CliException.Usage($"--format '{value}' is not one of {string.Join(", ", Formats.Select(f => f.Name))}");
            if (!result.Contains(match.Format)) result.Add(match.Format);
        }
        return result;
    }

    private static Dictionary<string, string> ParseAnnotations(string[]? values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string value in values ?? [])
        {
            int eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw CliException.Usage($"-a '{value}' is not key=value");
            if (result.Count >= 64) throw CliException.Usage("at most 64 annotations");
            result[value[..eq]] = value[(eq + 1)..];
        }
        return result;
    }

    private static void Print(bool json, ImageReference image, string? tag, string fingerprint, List<AttachResult> results)
    {
        if (json)
        {
            using var stream = Console.OpenStandardOutput();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("image", image.ToString());
                w.WriteString("digest", image.Digest!.Value.ToString());
                if (tag is not null) w.WriteString("tag", tag);
                w.WriteString("keyFingerprint", fingerprint);
                w.WriteStartArray("signatures");
                foreach (var r in results)
                {
                    w.WriteStartObject();
                    w.WriteString("format", SignatureNames.Name(r.Format));
                    w.WriteString("manifest", r.Manifest.ToString());
                    if (r.Tag is not null) w.WriteString("tag", r.Tag);
                    w.WriteBoolean("alreadyPresent", r.AlreadyPresent);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stream.Write("\n"u8);
            return;
        }
        var o = Console.Out;
        o.WriteLine($"Signed {image}{(tag is null ? "" : $" (tag {tag})")} with key {fingerprint[..Math.Min(16, fingerprint.Length)]}…");
        Output.Table(["FORMAT", "SIGNATURE MANIFEST", "TAG", "NOTE"],
            results.Select(r => (IReadOnlyList<string?>)[SignatureNames.Name(r.Format), r.Manifest.ToString(), r.Tag, r.AlreadyPresent ? "already there" : "attached"]),
            "nothing attached");
    }
}
