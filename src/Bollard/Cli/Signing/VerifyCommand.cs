using Bollard.Trust.Signing;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Bollard.Core.Client;
using Bollard.Trust.Signatures;

namespace Bollard.Cli.Signing;

/// <summary>
/// <c>bollard verify IMAGE</c>: finds every signature of the image (cosign <c>.sig</c> layers, Sigstore bundle and
/// Notation referrers, the tag-schema fallback), verifies each with its format's verifier against the anchors given
/// (<c>--key</c>, <c>--identity</c>/<c>--issuer</c> under <c>--trusted-root</c> or <c>--ca-roots</c>,
/// <c>--notation-cert</c> with <c>--trusted-identity</c>), prints who signed what and through which anchor it counts
/// (or why not), and decides <c>--require all|any|N</c> over the anchors: an anchor is satisfied when at least one
/// signature counts through it.
/// Exit codes: 0 the requirement is satisfied, 1 it is not, 2 usage errors and a registry that could not be asked
/// (unreachable, refused, no such image): nothing was decided.
/// </summary>
internal static class VerifyCommand
{
    /// <summary>At most this many signatures are looked at (a hostile image may carry thousands).</summary>
    public const int MaxSignatures = 1000;

    public static Command Create()
    {
        var o = new RegistryOptions();
        var keys = new Option<string[]>("--key") { Description = "Trust signatures made with this public key (PEM; repeatable)", HelpName = "FILE" };
        var identities = new Option<string[]>("--identity") { Description = "Trust certificates of this identity: SAN email or URI, or subject CN (repeatable)", HelpName = "SUBJECT" };
        var identityRegex = new Option<string[]>("--identity-regex") { Description = "Like --identity, a regular expression matched against the whole value (repeatable)", HelpName = "REGEX" };
        var issuer = new Option<string?>("--issuer") { Description = "The OIDC issuer the certificate records (Fulcio extension), for --identity", HelpName = "URL" };
        var issuerRegex = new Option<string?>("--issuer-regex") { Description = "Like --issuer, a regular expression", HelpName = "REGEX" };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "Sigstore trusted_root.json: certificate authorities, transparency logs and timestamp authorities for --identity", HelpName = "FILE" };
        var caRoots = new Option<string[]>("--ca-roots") { Description = "Root certificates (PEM) for --identity (repeatable)", HelpName = "FILE" };
        var caIntermediates = new Option<string[]>("--ca-intermediates") { Description = "Intermediate certificates (PEM) for --identity (repeatable)", HelpName = "FILE" };
        var notationCerts = new Option<string[]>("--notation-cert") { Description = "Notation trust store: CA or signing certificates (PEM; repeatable)", HelpName = "FILE" };
        var notationTsa = new Option<string[]>("--notation-tsa-cert") { Description = "Notation timestamp authority roots (PEM; repeatable)", HelpName = "FILE" };
        var trustedIdentities = new Option<string[]>("--trusted-identity") { Description = "Notation trusted identity, e.g. \"x509.subject: C=US, O=Notary, CN=example\" (repeatable; default *)", HelpName = "IDENTITY" };
        var require = new Option<string>("--require") { Description = "all (every anchor), any (at least one) or N (at least N anchors)", DefaultValueFactory = _ => "all", HelpName = "all|any|N" };
        var output = new Option<string>("--output") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var command = new Command("verify", "Verify an image's signatures and say who signed what; exit 1 when the requirement is not met");
        o.AddTo(command);
        foreach (var option in new Option[] { keys, identities, identityRegex, issuer, issuerRegex, trustedRoot, caRoots, caIntermediates, notationCerts, notationTsa, trustedIdentities, require, output })
            command.Options.Add(option);
        command.SetAction((parse, ct) => BollardCli.RunAsync(async () =>
        {
            bool json = SignatureNames.ParseOutput(parse.GetValue(output));
            var image = o.ParseImage(parse);
            var anchors = new List<TrustAnchor>();
            foreach (string file in parse.GetValue(keys) ?? [])
                anchors.Add(new KeyAnchor($"key {Path.GetFileName(file)}", KeyFiles.ReadPublicKey(file, "--key")));

            string[] exact = parse.GetValue(identities) ?? [], patterns = parse.GetValue(identityRegex) ?? [];
            string? iss = parse.GetValue(issuer), issRe = parse.GetValue(issuerRegex), root = parse.GetValue(trustedRoot);
            string[] roots = parse.GetValue(caRoots) ?? [], intermediates = parse.GetValue(caIntermediates) ?? [];
            if (exact.Length + patterns.Length > 0)
            {
                if (root is null && roots.Length == 0) throw CliException.Usage("--identity needs the roots to trust: give --trusted-root FILE or --ca-roots PEM");
                string? rootJson = root is null ? null : KeyFiles.ReadText(root, "--trusted-root", KeyFiles.MaxTrustedRootBytes);
                var rootPems = roots.SelectMany(f => KeyFiles.ReadCertificates(f, "--ca-roots")).ToList();
                var intermediatePems = intermediates.SelectMany(f => KeyFiles.ReadCertificates(f, "--ca-intermediates")).ToList();
                foreach (var (value, regex) in exact.Select(e => (e, false)).Concat(patterns.Select(p => (p, true))))
                {
                    if (regex) CheckRegex(value, "--identity-regex");
                    anchors.Add(new IdentityAnchor($"identity {value}{(iss ?? issRe) switch { null => "", var i => $" ({i})" }}")
                    {
                        Subject = regex ? null : value,
                        SubjectRegex = regex ? value : null,
                        Issuer = iss,
                        IssuerRegex = issRe is null ? null : CheckRegex(issRe, "--issuer-regex"),
                        RootsPem = rootPems,
                        IntermediatesPem = intermediatePems,
                        TrustedRootJson = rootJson,
                    });
                }
            }
            else if (iss is not null || issRe is not null || root is not null || roots.Length > 0)
            {
                throw CliException.Usage("--issuer, --trusted-root and --ca-roots go with --identity or --identity-regex");
            }

            string[] notation = parse.GetValue(notationCerts) ?? [];
            string[] trusted = parse.GetValue(trustedIdentities) ?? [];
            if (notation.Length > 0)
            {
                anchors.Add(new NotationAnchor("notation " + string.Join(",", notation.Select(Path.GetFileName)))
                {
                    CertificatesPem = [.. notation.SelectMany(f => KeyFiles.ReadCertificates(f, "--notation-cert"))],
                    TimestampRootsPem = [.. (parse.GetValue(notationTsa) ?? []).SelectMany(f => KeyFiles.ReadCertificates(f, "--notation-tsa-cert"))],
                    TrustedIdentities = trusted.Length > 0 ? trusted : ["*"],
                });
            }
            else if (trusted.Length > 0)
            {
                throw CliException.Usage("--trusted-identity goes with --notation-cert");
            }
            if (anchors.Count == 0) throw CliException.Usage("give what to trust: --key PUB, --identity SUBJECT with --trusted-root or --ca-roots, or --notation-cert PEM");
            int needed = Requirement(parse.GetValue(require), anchors.Count);

            using var client = o.Client(parse, image);
            try
            {
                var head = await client.HeadManifestAsync(image.Repository, image.Reference, ct).ConfigureAwait(false)
                    ?? throw CliException.Usage($"{image}: not found");
                var source = new RegistryClientArtifactSource(client);
                var discovery = await new SignatureDiscovery(source, new DiscoveryLimits { MaxSignatures = MaxSignatures }).FindAsync(image.Repository, head.Digest, ct).ConfigureAwait(false);
                var found = discovery.Signatures;
                var request = new VerificationRequest(head.Digest, image.Repository, anchors, DateTimeOffset.UtcNow);
                var verdicts = found.Select(s => Verify(s, request)).ToList();
                var satisfied = anchors.Select(a => verdicts.Any(v => v.Anchors.Any(r => r.Anchor == a.Name && r.Trusted))).ToList();
                int count = satisfied.Count(s => s);
                bool ok = count >= needed;
                var report = new Report(image.WithDigest(head.Digest), image.Digest is null ? image.Tag : null, parse.GetValue(require) ?? "all", needed, ok,
                    [.. anchors.Select((a, i) => (a.Name, satisfied[i]))], verdicts, discovery.Warnings);
                if (json) WriteJson(report);
                else WriteText(report);
                return ok ? 0 : 1;
            }
            catch (RegistryClientException e)
            {
                throw CliException.Usage(e.Message);
            }
        }));
        return command;
    }

    private static SignatureVerdict Verify(FoundSignature signature, VerificationRequest request)
    {
        if (SignatureVerifiers.For(signature.Format) is not { } verifier)
            return new SignatureVerdict
            {
                Format = signature.Format,
                SignatureManifest = signature.SignatureManifest,
                LayerIndex = signature.LayerIndex,
                Problems = [$"this bollard cannot verify {SignatureNames.Name(signature.Format)} signatures"],
                Anchors = [.. request.Anchors.Select(a => new AnchorResult(a.Name, false, "not verified"))],
            };
        return verifier.Verify(signature, request);
    }

    /// <summary>How many anchors must be satisfied.</summary>
    private static int Requirement(string? text, int anchors)
    {
        string value = (text ?? "all").Trim().ToLowerInvariant();
        if (value == "all") return anchors;
        if (value == "any") return 1;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1)
            return n <= anchors ? n : throw CliException.Usage($"--require {n}: only {anchors} anchor{(anchors == 1 ? " was" : "s were")} given");
        throw CliException.Usage($"--require '{text}' is not all, any or a number of anchors");
    }

    private static string CheckRegex(string pattern, string option)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            return pattern;
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage($"{option} '{pattern}' is not a regular expression: {e.Message}");
        }
    }

    private sealed record Report(ImageReference Image, string? Tag, string Requirement, int Needed, bool Satisfied,
        IReadOnlyList<(string Name, bool Satisfied)> Anchors, IReadOnlyList<SignatureVerdict> Signatures, IReadOnlyList<string> Warnings);

    private static string Signer(SignerInfo? s)
    {
        if (s is null) return "unknown signer";
        var parts = new List<string>();
        if (s.SubjectAlternativeNames.Count > 0) parts.Add(string.Join(", ", s.SubjectAlternativeNames));
        else if (s.CertificateSubject is { } subject) parts.Add(subject);
        if (s.OidcIssuer is { } issuer) parts.Add($"issuer {issuer}");
        if (s.KeyFingerprint is { } fp) parts.Add($"key {fp[..Math.Min(16, fp.Length)]}…{(s.KeyAlgorithm is null ? "" : $" ({s.KeyAlgorithm})")}");
        return parts.Count > 0 ? string.Join("; ", parts) : "unknown signer";
    }

    private static void WriteText(Report r)
    {
        var o = Console.Out;
        o.WriteLine($"{r.Image}{(r.Tag is null ? "" : $" (tag {r.Tag})")}: {r.Signatures.Count} signature{(r.Signatures.Count == 1 ? "" : "s")} found");
        foreach (string warning in r.Warnings) o.WriteLine($"warning: {Clean(warning)}");
        foreach (var v in r.Signatures)
        {
            o.WriteLine();
            o.WriteLine($"{SignatureNames.Name(v.Format)} {v.SignatureManifest}[{v.LayerIndex}]");
            o.WriteLine($"  signer: {Clean(Signer(v.Signer))}");
            o.WriteLine($"  signed: {Clean(v.SignedDigest ?? "unreadable")}{(v.SignedReference is null ? "" : $" ({Clean(v.SignedReference)})")}");
            o.WriteLine($"  time:   {Output.Time(v.SignedAt, "unknown")}{(v.SignedAt is null ? "" : v.TimestampVerified ? " (timestamp verified)" : " (claimed by the signer)")}");
            foreach (string problem in v.Problems) o.WriteLine($"  problem: {Clean(problem)}");
            foreach (var a in v.Anchors) o.WriteLine($"  {(a.Trusted ? "trusted by" : "not trusted by")} {a.Anchor}: {Clean(a.Reason)}");
        }
        o.WriteLine();
        foreach (var (name, satisfied) in r.Anchors) o.WriteLine($"{(satisfied ? "satisfied:    " : "not satisfied:")} {name}");
        int count = r.Anchors.Count(a => a.Satisfied);
        o.WriteLine(r.Satisfied
            ? $"Verified: {count} of {r.Anchors.Count} anchors satisfied (--require {r.Requirement})"
            : $"Not verified: {count} of {r.Anchors.Count} anchors satisfied, {r.Needed} required (--require {r.Requirement})");
    }

    private static void WriteJson(Report r)
    {
        using var stream = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("image", r.Image.ToString());
            w.WriteString("digest", r.Image.Digest!.Value.ToString());
            if (r.Tag is not null) w.WriteString("tag", r.Tag);
            w.WriteString("require", r.Requirement);
            w.WriteNumber("needed", r.Needed);
            w.WriteBoolean("satisfied", r.Satisfied);
            w.WriteStartArray("anchors");
            foreach (var (name, satisfied) in r.Anchors)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteBoolean("satisfied", satisfied);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("warnings");
            foreach (string warning in r.Warnings) w.WriteStringValue(warning);
            w.WriteEndArray();
            w.WriteStartArray("signatures");
            foreach (var v in r.Signatures)
            {
                w.WriteStartObject();
                w.WriteString("format", SignatureNames.Name(v.Format));
                w.WriteString("signatureManifest", v.SignatureManifest.ToString());
                w.WriteNumber("layer", v.LayerIndex);
                w.WriteString("signedDigest", v.SignedDigest);
                w.WriteString("signedReference", v.SignedReference);
                if (v.Signer is { } s)
                {
                    w.WriteStartObject("signer");
                    w.WriteString("keyFingerprint", s.KeyFingerprint);
                    w.WriteString("keyAlgorithm", s.KeyAlgorithm);
                    w.WriteString("certificateSubject", s.CertificateSubject);
                    w.WriteString("certificateIssuer", s.CertificateIssuer);
                    w.WriteStartArray("subjectAlternativeNames");
                    foreach (string san in s.SubjectAlternativeNames) w.WriteStringValue(san);
                    w.WriteEndArray();
                    w.WriteString("oidcIssuer", s.OidcIssuer);
                    w.WriteString("certificateSha256", s.CertificateSha256);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("signer");
                }
                if (v.SignedAt is { } at) w.WriteString("signedAt", at);
                else w.WriteNull("signedAt");
                w.WriteBoolean("timestampVerified", v.TimestampVerified);
                w.WriteStartArray("problems");
                foreach (string p in v.Problems) w.WriteStringValue(p);
                w.WriteEndArray();
                w.WriteStartArray("anchors");
                foreach (var a in v.Anchors)
                {
                    w.WriteStartObject();
                    w.WriteString("anchor", a.Anchor);
                    w.WriteBoolean("trusted", a.Trusted);
                    w.WriteString("reason", a.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stream.Write("\n"u8);
    }

    /// <summary>Text from a signature (subjects, reasons naming payload fields) never reaches the terminal with control characters.</summary>
    private static string Clean(string value) => value.Any(char.IsControl) ? new string([.. value.Select(c => char.IsControl(c) ? '?' : c)]) : value;
}
