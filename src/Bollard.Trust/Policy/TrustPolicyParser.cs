using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bollard.Core.Auth;
using Bollard.Core.Scanning;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Policy;

/// <summary>
/// Reads and checks a trust policy document (docs/trust.md, "Trust policies"). Every problem is reported with its
/// JSON path, all at once (up to <see cref="TrustPolicyLimits.MaxErrors"/>), so a user fixes a policy in one round.
/// Keys, certificates and regular expressions are checked here, so a stored policy never fails later for its own
/// syntax. Pure and thread-safe.
/// </summary>
public static partial class TrustPolicyParser
{
    /// <summary>Grace periods: a whole number and a unit (<c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>, <c>w</c>).</summary>
    [GeneratedRegex(@"^(?<n>[0-9]{1,6})(?<u>[smhdw])$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <exception cref="PolicyFormatException">The document is not a valid policy; <see cref="PolicyFormatException.Errors"/> says every reason.</exception>
    public static TrustPolicy Parse(ReadOnlySpan<byte> json, TrustPolicyLimits? limits = null)
    {
        if (TryParse(json, out var policy, out var errors, limits)) return policy;
        throw new PolicyFormatException(errors);
    }

    public static TrustPolicy Parse(string json, TrustPolicyLimits? limits = null) => Parse(System.Text.Encoding.UTF8.GetBytes(json), limits);

    /// <returns>false with the errors (never empty) when the document is not a valid policy.</returns>
    public static bool TryParse(ReadOnlySpan<byte> json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrustPolicy? policy,
        out IReadOnlyList<PolicyError> errors, TrustPolicyLimits? limits = null)
    {
        limits ??= TrustPolicyLimits.Default;
        policy = null;
        if (json.Length > limits.MaxDocumentBytes)
        {
            errors = [new PolicyError("$", $"the document is {json.Length} bytes, more than the {limits.MaxDocumentBytes} allowed")];
            return false;
        }
        TrustPolicyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, PolicyJsonContext.Default.TrustPolicyDocument);
        }
        catch (JsonException e)
        {
            errors = [Translate(e)];
            return false;
        }
        if (document is null)
        {
            errors = [new PolicyError("$", "a policy is a JSON object")];
            return false;
        }
        var checker = new Checker(limits);
        policy = checker.Check(document);
        errors = checker.Errors;
        if (errors.Count == 0 && policy is not null) return true;
        policy = null;
        return false;
    }

    /// <summary>Checks a document already read (from the API's own JSON body).</summary>
    /// <exception cref="PolicyFormatException">Not a valid policy.</exception>
    public static TrustPolicy FromDocument(TrustPolicyDocument document, TrustPolicyLimits? limits = null)
    {
        var checker = new Checker(limits ?? TrustPolicyLimits.Default);
        var policy = checker.Check(document);
        if (checker.Errors.Count > 0 || policy is null) throw new PolicyFormatException(checker.Errors);
        return policy;
    }

    /// <summary>The document as JSON (indented, nulls left out), as <see cref="Parse(ReadOnlySpan{byte}, TrustPolicyLimits?)"/> reads it back.</summary>
    public static byte[] Serialize(TrustPolicyDocument document) => JsonSerializer.SerializeToUtf8Bytes(document, PolicyJsonContext.Default.TrustPolicyDocument);

    // System.Text.Json's messages name .NET types and repeat the path; users wrote JSON, so say it in JSON words.
    private static PolicyError Translate(JsonException e)
    {
        string path = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
        string message = e.Message;
        string where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            int start = message.IndexOf('\'', StringComparison.Ordinal), end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
            string field = end > start ? message[(start + 1)..end] : "?";
            return new PolicyError(path, $"unknown field '{field}'{where}");
        }
        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
            return new PolicyError(path, $"duplicate field{where}");
        if (message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase) || message.Contains("depth", StringComparison.OrdinalIgnoreCase) && message.Contains("exceed", StringComparison.OrdinalIgnoreCase))
            return new PolicyError(path, $"nested deeper than {TrustPolicyLimits.MaxJsonDepth} levels{where}");
        if (message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal))
            return new PolicyError(path, $"wrong type: expected {Expected(path)}{where}");
        // Reader errors ("'x' is an invalid start of a value. LineNumber: ...") are already in JSON words.
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return new PolicyError(path, (cut > 0 ? message[..cut] : message).TrimEnd('.') + where);
    }

    /// <summary>What the field at <paramref name="path"/> holds, in JSON words (the document's shape, by field name).</summary>
    private static string Expected(string path)
    {
        if (path.EndsWith(']')) return path.StartsWith("$.signers", StringComparison.Ordinal) ? "a string" : "a value of another type";
        string field = path[(path.LastIndexOf('.') + 1)..];
        return field switch
        {
            "onlyFixable" or "required" or "requireTimestampForExpired" => "true or false",
            "roots" or "intermediates" or "trustStore" or "tsaRoots" or "trustedIdentities" => "an array of strings",
            "signers" or "identity" or "notation" or "vulnerabilities" or "sbom" or "trustedRoot" or "$" => "an object",
            _ when path.Count(c => c == '.') == 2 && path.StartsWith("$.signers.", StringComparison.Ordinal) => "an object",
            _ => "a string",
        };
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    internal static string Member(string path, string name) =>
        IdentifierPattern().IsMatch(name)
            ? $"{path}.{name}"
            : $"{path}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";

    private sealed class Checker(TrustPolicyLimits limits)
    {
        private readonly List<PolicyError> _errors = [];
        private int _nodes;

        public IReadOnlyList<PolicyError> Errors => _errors;

        private void Error(string path, string message)
        {
            if (_errors.Count < limits.MaxErrors) _errors.Add(new PolicyError(path, message));
            else if (_errors.Count == limits.MaxErrors) _errors.Add(new PolicyError("$", "more errors not shown"));
        }

        private string? Text(string path, string? value, bool required)
        {
            if (value is null)
            {
                if (required) Error(path, "required");
                return null;
            }
            if (value.Length == 0) { Error(path, "must not be empty"); return null; }
            if (value.Length > limits.MaxStringLength) { Error(path, $"longer than {limits.MaxStringLength} characters"); return null; }
            return value;
        }

        public TrustPolicy? Check(TrustPolicyDocument d)
        {
            string? name = Text("$.name", d.Name, required: true);
            if (name is not null && !NamePattern().IsMatch(name))
                Error("$.name", "a policy name is 1 to 63 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
            if (d.Description is { Length: > 4096 }) Error("$.description", "longer than 4096 characters");

            NamespacePattern? ns = null;
            if (d.Namespace is null) Error("$.namespace", "required (a namespace pattern such as prod/**)");
            else if (!NamespacePattern.TryParse(d.Namespace, out ns, out var problem)) Error("$.namespace", problem);

            PolicyMode mode = PolicyMode.Enforce;
            switch (d.Mode)
            {
                case null: Error("$.mode", "required: enforce, warn or off"); break;
                case "enforce": mode = PolicyMode.Enforce; break;
                case "warn": mode = PolicyMode.Warn; break;
                case "off": mode = PolicyMode.Off; break;
                default: Error("$.mode", $"'{d.Mode}' is not a mode: enforce, warn or off"); break;
            }

            var signers = new List<PolicySigner>();
            if (d.Signers is { } docs)
            {
                if (docs.Count > limits.MaxSigners) Error("$.signers", $"{docs.Count} signers, more than the {limits.MaxSigners} allowed");
                else
                    foreach (var (signerName, signer) in docs)
                        if (CheckSigner(Member("$.signers", signerName), signerName, signer) is { } s) signers.Add(s);
            }
            var declared = d.Signers?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];

            Requirement? require = null;
            if (d.Require is { } r && r.ValueKind != JsonValueKind.Null)
                require = CheckRequirement("$.require", r, declared);
            else if (declared.Count > 0)
                // Signers listed without a requirement: all of them must sign (the strict reading of an incomplete policy).
                require = new AllOfRequirement(d.Signers!.Keys.Select(k => (Requirement)new SignerRequirement(k)).ToList());

            VulnerabilityRules? vulnerabilities = null;
            if (d.Vulnerabilities is { } v) vulnerabilities = CheckVulnerabilities(v);

            if (_errors.Count > 0 || name is null || ns is null) return null;
            return new TrustPolicy
            {
                Name = name,
                Description = d.Description,
                Namespace = ns,
                Mode = mode,
                Signers = signers,
                Require = require,
                Vulnerabilities = vulnerabilities,
                SbomRequired = d.Sbom?.Required ?? false,
                Document = d,
            };
        }

        private PolicySigner? CheckSigner(string path, string name, SignerDocument? s)
        {
            if (!NamePattern().IsMatch(name))
            {
                Error(path, "a signer name is 1 to 63 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
                return null;
            }
            if (s is null) { Error(path, "a signer is an object with one of key, serverKey, identity, notation"); return null; }
            int kinds = (s.Key is null ? 0 : 1) + (s.ServerKey is null ? 0 : 1) + (s.Identity is null ? 0 : 1) + (s.Notation is null ? 0 : 1);
            if (kinds != 1)
            {
                Error(path, kinds == 0 ? "needs one of key, serverKey, identity, notation" : "has more than one of key, serverKey, identity, notation");
                return null;
            }
            if (s.Key is not null)
            {
                if (s.Key.Length > 16 * 1024) { Error(path + ".key", "longer than 16 KiB"); return null; }
                try
                {
                    _ = VerificationKey.FromPem(s.Key);
                }
                catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
                {
                    Error(path + ".key", $"not a usable public key: {e.Message}");
                    return null;
                }
                return new PolicySigner(name, SignerKind.Key, new KeyAnchor(name, s.Key));
            }
            if (s.ServerKey is not null)
            {
                string? key = Text(path + ".serverKey", s.ServerKey, required: true);
                return key is null ? null : new PolicySigner(name, SignerKind.ServerKey, null, key);
            }
            if (s.Identity is { } id) return CheckIdentity(path + ".identity", name, id);
            return CheckNotation(path + ".notation", name, s.Notation!);
        }

        private PolicySigner? CheckIdentity(string path, string name, IdentityDocument id)
        {
            int before = _errors.Count;
            string? issuer = Text(path + ".issuer", id.Issuer, required: false);
            string? issuerRegex = Regex(path + ".issuerRegex", id.IssuerRegex);
            string? subject = Text(path + ".subject", id.Subject, required: false);
            string? subjectRegex = Regex(path + ".subjectRegex", id.SubjectRegex);
            if (id.Issuer is not null && id.IssuerRegex is not null) Error(path, "has both issuer and issuerRegex");
            if (id.Subject is not null && id.SubjectRegex is not null) Error(path, "has both subject and subjectRegex");
            if (id.Subject is null && id.SubjectRegex is null)
                Error(path, "needs subject or subjectRegex (the SAN email or URI, or the certificate subject's CN): a certificate identity with any subject trusts every certificate of its roots");
            var roots = Certificates(path + ".roots", id.Roots);
            var intermediates = Certificates(path + ".intermediates", id.Intermediates);
            string? trustedRoot = null;
            if (id.TrustedRoot is { ValueKind: not JsonValueKind.Null } tr)
            {
                if (tr.ValueKind != JsonValueKind.Object) Error(path + ".trustedRoot", "a trusted_root.json is an object");
                else trustedRoot = tr.GetRawText();
            }
            if (roots.Count == 0 && trustedRoot is null) Error(path, "needs roots (PEM certificates) or trustedRoot (a Sigstore trusted_root.json)");
            if (_errors.Count > before) return null;
            var anchor = new IdentityAnchor(name)
            {
                Issuer = issuer,
                IssuerRegex = issuerRegex,
                Subject = subject,
                SubjectRegex = subjectRegex,
                RootsPem = roots,
                IntermediatesPem = intermediates,
                TrustedRootJson = trustedRoot,
                RequireTimestampForExpired = id.RequireTimestampForExpired ?? true,
            };
            return new PolicySigner(name, SignerKind.Identity, anchor);
        }

        private PolicySigner? CheckNotation(string path, string name, NotationDocument n)
        {
            int before = _errors.Count;
            var store = Certificates(path + ".trustStore", n.TrustStore);
            if (store.Count == 0 && _errors.Count == before) Error(path + ".trustStore", "required: at least one PEM CA certificate");
            var tsa = Certificates(path + ".tsaRoots", n.TsaRoots);
            List<string> identities = n.TrustedIdentities ?? ["*"];
            if (identities.Count == 0) Error(path + ".trustedIdentities", "must not be empty (use [\"*\"] to trust every identity of the trust store)");
            if (identities.Count > limits.MaxTrustedIdentities) Error(path + ".trustedIdentities", $"more than {limits.MaxTrustedIdentities} entries");
            for (int i = 0; i < identities.Count && i < limits.MaxTrustedIdentities; i++)
            {
                string entry = identities[i];
                string at = $"{path}.trustedIdentities[{i}]";
                if (entry is null) { Error(at, "must be a string"); continue; }
                if (entry == "*") continue;
                // notation trust policy: "x509.subject: <DN>", every RDN of which must be in the leaf's subject.
                const string Prefix = "x509.subject:";
                if (!entry.StartsWith(Prefix, StringComparison.Ordinal) || entry.Length > limits.MaxStringLength)
                    Error(at, "a trusted identity is \"*\" or \"x509.subject: C=US, O=Example, CN=signer\"");
                else
                {
                    string dn = entry[Prefix.Length..].Trim();
                    if (dn.Length == 0 || dn.Split(',').Any(rdn => !rdn.Contains('=', StringComparison.Ordinal) || rdn.Trim().StartsWith('=')))
                        Error(at, $"'{dn}' is not a distinguished name (C=US, O=Example, CN=signer)");
                }
            }
            if (_errors.Count > before) return null;
            return new PolicySigner(name, SignerKind.Notation, new NotationAnchor(name) { CertificatesPem = store, TimestampRootsPem = tsa, TrustedIdentities = identities });
        }

        private string? Regex(string path, string? pattern)
        {
            string? value = Text(path, pattern, required: false);
            if (value is null) return null;
            try
            {
                // Verifiers anchor it; the timeout bounds a pathological pattern against a signer-chosen subject.
                _ = new Regex($"^(?:{value})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                return value;
            }
            catch (ArgumentException e)
            {
                Error(path, $"not a regular expression: {e.Message}");
                return null;
            }
        }

        /// <summary>Each entry one certificate or a bundle; bundles are split, so every returned PEM holds one certificate.</summary>
        private List<string> Certificates(string path, List<string>? pems)
        {
            var result = new List<string>();
            if (pems is null) return result;
            for (int i = 0; i < pems.Count; i++)
            {
                string at = $"{path}[{i}]";
                if (pems[i] is not { } pem) { Error(at, "must be a string"); continue; }
                if (pem.Length > 256 * 1024) { Error(at, "longer than 256 KiB"); continue; }
                var collection = new X509Certificate2Collection();
                try
                {
                    collection.ImportFromPem(pem);
                }
                catch (CryptographicException e)
                {
                    Error(at, $"not a PEM certificate: {e.Message}");
                    continue;
                }
                if (collection.Count == 0) { Error(at, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"); continue; }
                foreach (var certificate in collection)
                {
                    using (certificate) result.Add(certificate.ExportCertificatePem());
                }
                if (result.Count > limits.MaxCertificatesPerList) { Error(path, $"more than {limits.MaxCertificatesPerList} certificates"); return []; }
            }
            return result;
        }

        private Requirement? CheckRequirement(string path, JsonElement e, HashSet<string> declared)
        {
            if (++_nodes > limits.MaxRequirementNodes)
            {
                if (_nodes == limits.MaxRequirementNodes + 1) Error(path, $"the requirement has more than {limits.MaxRequirementNodes} nodes");
                return null;
            }
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    string name = e.GetString()!;
                    if (!declared.Contains(name))
                    {
                        Error(path, declared.Count == 0 ? $"'{name}' is not a signer (the policy has no signers)" : $"'{name}' is not a signer of this policy ({string.Join(", ", declared)})");
                        return null;
                    }
                    return new SignerRequirement(name);
                case JsonValueKind.Object:
                    break;
                default:
                    Error(path, "a requirement is a signer name or an object with allOf, anyOf, or threshold and of");
                    return null;
            }
            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name is not ("allOf" or "anyOf" or "threshold" or "of" or "required"))
                {
                    Error(Member(path, p.Name), $"unknown field '{p.Name}' (a requirement has allOf, anyOf, or threshold, of and required)");
                    continue;
                }
                if (!fields.TryAdd(p.Name, p.Value)) Error(Member(path, p.Name), "duplicate field");
            }
            bool all = fields.TryGetValue("allOf", out var allOf), any = fields.TryGetValue("anyOf", out var anyOf);
            bool threshold = fields.TryGetValue("threshold", out var t);
            if ((all ? 1 : 0) + (any ? 1 : 0) + (threshold ? 1 : 0) != 1)
            {
                Error(path, "a requirement object has exactly one of allOf, anyOf, threshold");
                return null;
            }
            if (!threshold && (fields.ContainsKey("of") || fields.ContainsKey("required")))
                Error(path, "'of' and 'required' belong to a threshold");
            if (all || any)
            {
                string key = all ? "allOf" : "anyOf";
                var members = Members(Member(path, key), all ? allOf : anyOf, declared);
                if (members is null) return null;
                return all ? new AllOfRequirement(members) : new AnyOfRequirement(members);
            }

            if (!fields.TryGetValue("of", out var of)) { Error(path, "a threshold needs 'of' (its members)"); return null; }
            var ofMembers = Members(path + ".of", of, declared);
            int n = 0;
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out n) || n < 1)
                Error(path + ".threshold", "a whole number of at least 1");
            else if (ofMembers is not null && n > ofMembers.Count)
                Error(path + ".threshold", $"{n} is more than the {ofMembers.Count} members of 'of'");
            var required = new List<string>();
            if (fields.TryGetValue("required", out var req))
            {
                if (req.ValueKind != JsonValueKind.Array) Error(path + ".required", "an array of signer names");
                else
                {
                    int i = 0;
                    var direct = ofMembers?.OfType<SignerRequirement>().Select(s => s.Signer).ToHashSet(StringComparer.Ordinal) ?? [];
                    foreach (var item in req.EnumerateArray())
                    {
                        string at = $"{path}.required[{i++}]";
                        if (item.ValueKind != JsonValueKind.String) { Error(at, "a signer name"); continue; }
                        string signer = item.GetString()!;
                        if (ofMembers is not null && !direct.Contains(signer)) Error(at, $"'{signer}' is not a signer listed in 'of'");
                        else if (required.Contains(signer)) Error(at, $"'{signer}' is listed twice");
                        else required.Add(signer);
                    }
                    if (ofMembers is not null && required.Count > n && n >= 1)
                        Error(path + ".required", $"{required.Count} required members but a threshold of {n}: raise the threshold to at least {required.Count}");
                }
            }
            return ofMembers is null || _errors.Count > 0 ? null : new ThresholdRequirement(n, ofMembers, required);
        }

        private List<Requirement>? Members(string path, JsonElement array, HashSet<string> declared)
        {
            if (array.ValueKind != JsonValueKind.Array) { Error(path, "an array of requirements"); return null; }
            int count = array.GetArrayLength();
            if (count == 0) { Error(path, "must not be empty"); return null; }
            var members = new List<Requirement>(count);
            bool ok = true;
            int i = 0;
            foreach (var item in array.EnumerateArray())
            {
                var member = CheckRequirement($"{path}[{i++}]", item, declared);
                if (member is null) ok = false;
                else members.Add(member);
            }
            return ok ? members : null;
        }

        private VulnerabilityRules? CheckVulnerabilities(VulnerabilityDocument v)
        {
            int before = _errors.Count;
            string? max = v.MaxSeverity?.ToLowerInvariant();
            if (max is null) Error("$.vulnerabilities.maxSeverity", $"required: {string.Join(", ", Severities.All)} or none");
            else if (max != VulnerabilityRules.None && !Severities.All.Contains(max))
                Error("$.vulnerabilities.maxSeverity", $"'{v.MaxSeverity}' is not a severity: {string.Join(", ", Severities.All)} or none");
            TimeSpan grace = TimeSpan.Zero;
            if (v.GracePeriod is { } g)
            {
                var m = DurationPattern().Match(g);
                if (!m.Success) Error("$.vulnerabilities.gracePeriod", $"'{g}' is not a duration such as 7d, 12h, 30m, 2w");
                else
                {
                    long n = long.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
                    grace = m.Groups["u"].Value switch
                    {
                        "s" => TimeSpan.FromSeconds(n),
                        "m" => TimeSpan.FromMinutes(n),
                        "h" => TimeSpan.FromHours(n),
                        "d" => TimeSpan.FromDays(n),
                        _ => TimeSpan.FromDays(7 * n),
                    };
                    if (grace > limits.MaxGracePeriod) Error("$.vulnerabilities.gracePeriod", $"longer than {limits.MaxGracePeriod.TotalDays:0} days");
                }
            }
            return _errors.Count > before ? null : new VulnerabilityRules(max!, v.OnlyFixable ?? false, grace);
        }
    }
}
