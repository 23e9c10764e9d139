using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Security;
using Bollard.Core.Trust;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Bollard.Trust.Signing;

/// <summary>
/// Server-held image signing keys (<c>/api/v1/signing-keys</c>): admins generate or import keys and say which users and
/// robots may sign with each; an allowed principal with push on a repository asks the server to sign an image there, and
/// the server signs and attaches (<see cref="SignatureAttacher"/> through <see cref="RegistryArtifactSink"/> as that
/// principal, so push checks, quotas and events apply). The private key never leaves the server: it is stored sealed
/// (<see cref="KeyEncryptionKey"/>), opened only to sign, and never in a response, a log line or an audit entry. Every
/// use and every refusal is audited (<c>signing-key.*</c>). Thread-safe.
/// </summary>
public sealed partial class ServerSigningKeys(
    IImageSigningKeyStore store, Func<KeyEncryptionKey> kek, AccessEvaluator access, IIdentityStore identities, AuditRecorder audit,
    IManifestReader manifests, RegistryArtifactSinkFactory sinks, SignatureAttacherOptions attacherOptions, TimeProvider time)
{
    /// <summary>
    /// A key was added or deleted (after the store changed): policies naming it as <c>serverKey</c> decide otherwise now,
    /// so the server drops its cached trust decisions (TrustServiceCollectionExtensions subscribes). A handler must not throw.
    /// </summary>
    public event Action? KeysChanged;

    /// <summary>Keys one server holds at most.</summary>
    public const int MaxKeys = 1000;

    /// <summary>The <see cref="KeyEncryptionKey"/> purpose of sealed private keys (unchanged since issue 9: keys sealed then still open).</summary>
    private const string SealPurpose = "bollard image signing key";

    /// <summary>Principals one key may name at most.</summary>
    public const int MaxPrincipals = 100;

    /// <summary>Largest PEM accepted on import (a key with a certificate chain).</summary>
    public const int MaxPemChars = 64 * 1024;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>The format names of the sign endpoint, as documented.</summary>
    public static IReadOnlyDictionary<string, SignatureFormat> FormatNames { get; } = new Dictionary<string, SignatureFormat>(StringComparer.Ordinal)
    {
        ["cosign"] = SignatureFormat.Cosign,
        ["sigstore-bundle"] = SignatureFormat.SigstoreBundle,
        ["notation"] = SignatureFormat.NotationJws,
    };

    /// <param name="algorithm"><c>ecdsa-p256</c> (default), <c>ecdsa-p384</c>, <c>ed25519</c>, <c>rsa-3072</c>, <c>rsa-3072-pss</c>.</param>
    public Task<ImageSigningKeyRecord> GenerateAsync(RegistryCaller caller, string? name, string? algorithm, IReadOnlyList<string>? principals, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        var signer = (algorithm ?? "ecdsa-p256") switch
        {
            "ecdsa-p256" => LocalSigner.GenerateEcdsaP256(),
            "ecdsa-p384" => Generate(ECDsa.Create(ECCurve.NamedCurves.nistP384), rsaPss: false),
            "rsa-3072" => Generate(RSA.Create(3072), rsaPss: false),
            "rsa-3072-pss" => Generate(RSA.Create(3072), rsaPss: true),
            "ed25519" => GenerateEd25519(),
            var other => throw new ManagementException(ManagementError.BadRequest, $"unknown algorithm '{other}' (ecdsa-p256, ecdsa-p384, ed25519, rsa-3072, rsa-3072-pss)"),
        };
        return AddAsync(caller, name, signer, principals, "generate", ct);
    }

    /// <param name="pem">An unencrypted private key (PKCS#8, SEC1, PKCS#1 PEM; a certificate chain may follow, leaf first) or an encrypted cosign key.</param>
    /// <param name="password">The encrypted cosign key's password.</param>
    public Task<ImageSigningKeyRecord> ImportAsync(RegistryCaller caller, string? name, string? pem, string? password, bool rsaPss, IReadOnlyList<string>? principals, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        if (string.IsNullOrWhiteSpace(pem)) throw new ManagementException(ManagementError.BadRequest, "privateKeyPem is required");
        if (pem.Length > MaxPemChars) throw new ManagementException(ManagementError.BadRequest, $"privateKeyPem is over {MaxPemChars} characters");
        LocalSigner signer;
        try
        {
            signer = CosignPrivateKey.Load(pem, password, rsaPss);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException or InvalidDataException)
        {
            // The message says what is wrong with the key (a wrong password, an unsupported algorithm), never its bytes.
            throw new ManagementException(ManagementError.BadRequest, $"the key cannot be imported: {e.Message}");
        }
        return AddAsync(caller, name, signer, principals, "import", ct);
    }

    public async Task<IReadOnlyList<ImageSigningKeyRecord>> ListAsync(RegistryCaller caller, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        return await store.ListAsync(MaxKeys, ct).ConfigureAwait(false);
    }

    /// <summary>The key's public parts: for admins and for the principals allowed to sign with it.</summary>
    public async Task<ImageSigningKeyRecord> GetAsync(RegistryCaller caller, string name, CancellationToken ct)
    {
        var key = await store.GetAsync(name, ct).ConfigureAwait(false);
        if (key is not null && (caller.Unrestricted || caller.Principal.IsAdmin || Allowed(caller, key) is null)) return key;
        if (!caller.Unrestricted && !caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        throw new ManagementException(ManagementError.NotFound, $"no signing key '{name}'");
    }

    public async Task DeleteAsync(RegistryCaller caller, string name, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        if (!await store.DeleteAsync(name, ct).ConfigureAwait(false)) throw new ManagementException(ManagementError.NotFound, $"no signing key '{name}'");
        KeysChanged?.Invoke();
        audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.delete", "success", reference: $"key {name}");
    }

    public async Task<ImageSigningKeyRecord> SetPrincipalsAsync(RegistryCaller caller, string name, IReadOnlyList<string>? principals, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        var list = await ValidatePrincipalsAsync(principals, ct).ConfigureAwait(false);
        if (!await store.SetAllowedPrincipalsAsync(name, list, time.GetUtcNow(), ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.NotFound, $"no signing key '{name}'");
        audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.principals", "success", reference: $"key {name}", detail: string.Join(',', list));
        return (await store.GetAsync(name, ct).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Signs <paramref name="reference"/> in <paramref name="repository"/> with the key and attaches each format. The caller
    /// must be allowed to use the key and hold push on the repository; either refusal is 403 with the reason, audited.
    /// </summary>
    /// <param name="registryHost">The registry as clients name it (cosign's docker-reference is <c>host/repository</c>).</param>
    public async Task<SignOutcome> SignAsync(RegistryCaller caller, string name, string? repository, string? reference, IReadOnlyList<string>? formats,
        string registryHost, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Unrestricted && !caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        if (!RepositoryName.TryParse(repository, out var repo)) throw new ManagementException(ManagementError.BadRequest, $"'{repository}' is not a repository name");
        if (string.IsNullOrEmpty(reference) || !(Tag.IsValid(reference) || Digest.TryParse(reference, out _)))
            throw new ManagementException(ManagementError.BadRequest, $"'{reference}' is neither a tag nor a digest");
        var wanted = ParseFormats(formats);

        var key = await store.GetAsync(name, ct).ConfigureAwait(false);
        if (key is null)
        {
            audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.sign", "denied", repo.Value, reference, $"key {name}: no such key");
            throw new ManagementException(ManagementError.NotFound, $"no signing key '{name}'");
        }
        if (Allowed(caller, key) is { } refusal)
        {
            audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.sign", "denied", repo.Value, reference, $"key {name}: {refusal}");
            throw new ManagementException(ManagementError.Forbidden, refusal);
        }
        var rights = caller.Unrestricted ? RepositoryAccess.All : await access.RightsAsync(caller.Principal, repo.Value, ct).ConfigureAwait(false) & caller.GrantedFor(repo.Value);
        if (!rights.HasFlag(RepositoryAccess.Push))
        {
            string why = $"{Who(caller)} may not push to {repo}, so it may not sign its images";
            audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.sign", "denied", repo.Value, reference, $"key {name}: {why}");
            throw new ManagementException(ManagementError.Forbidden, why);
        }

        var image = await manifests.GetAsync(repo, Reference.Parse(reference), ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.NotFound, $"no manifest {repo}:{reference}");
        var input = new SigningInput(registryHost, repo.Value, image.Digest, image.MediaType, image.Size, time.GetUtcNow());
        var signer = Open(key);
        var attacher = new SignatureAttacher(sinks.For(new RegistryActor(caller.Principal.Name, caller.ClientAddress)), attacherOptions);
        var results = new List<AttachResult>();
        foreach (var format in wanted)
        {
            var producer = SignatureVerifiers.ProducerFor(format)
                ?? throw new ManagementException(ManagementError.BadRequest, $"this server cannot make {FormatName(format)} signatures (no producer registered)");
            SignatureArtifact artifact;
            try
            {
                artifact = producer.Create(input, signer);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or CryptographicException)
            {
                throw new ManagementException(ManagementError.BadRequest, $"key {name} cannot make a {FormatName(format)} signature: {e.Message}");
            }
            try
            {
                results.Add(await attacher.AttachAsync(input, artifact, ct).ConfigureAwait(false));
            }
            catch (SignatureAttachException e)
            {
                audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.sign", "failed", repo.Value, image.Digest.ToString(), $"key {name} {FormatName(format)}: {e.Message}");
                throw new ManagementException(ManagementError.Conflict, e.Message);
            }
            catch (OciException e)
            {
                // A push check (immutability, a quota) refused the signature's manifest: the caller's push was refused.
                audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.sign", "failed", repo.Value, image.Digest.ToString(), $"key {name} {FormatName(format)}: {e.Detail ?? e.Error.Message}");
                throw new ManagementException(e.Error.HttpStatus == 403 ? ManagementError.Forbidden : ManagementError.Conflict, $"the {FormatName(format)} signature was refused: {e.Error.Code} {e.Detail ?? e.Error.Message}");
            }
        }
        audit.Record(caller.Principal.Name, caller.ClientAddress, "signing-key.sign", "success", repo.Value, image.Digest.ToString(),
            $"key {name} ({key.Fingerprint[..16]}): {string.Join(", ", results.Select(r => $"{FormatName(r.Format)} {r.Manifest}{(r.AlreadyPresent ? " (already there)" : "")}"))}");
        return new SignOutcome(key, repo.Value, image.Digest, results);
    }

    /// <summary>The name of a format on the API (<c>cosign</c>, <c>sigstore-bundle</c>, <c>notation</c>).</summary>
    public static string FormatName(SignatureFormat format) => FormatNames.FirstOrDefault(f => f.Value == format).Key ?? format.ToString();

    /// <returns>null when the caller may sign with the key; else why not.</returns>
    private static string? Allowed(RegistryCaller caller, ImageSigningKeyRecord key)
    {
        if (caller.Unrestricted) return null;
        if (!caller.Principal.IsAuthenticated) return "authentication required";
        if (!key.AllowedPrincipals.Contains(caller.Principal.Name, StringComparer.Ordinal))
            return $"{Who(caller)} is not allowed to sign with key '{key.Name}' (an admin adds it to the key's principals)";
        // A name deleted and created again is another principal: it was not the one allowed.
        if (caller.Principal.CreatedAt > key.UpdatedAt)
            return $"{Who(caller)} was created after it was allowed to sign with key '{key.Name}' (an earlier holder of the name was); an admin sets the key's principals again";
        return null;
    }

    private static string Who(RegistryCaller caller) => caller.Principal.Name.Length == 0 ? "the anonymous caller" : $"'{caller.Principal.Name}'";

    private static List<SignatureFormat> ParseFormats(IReadOnlyList<string>? formats)
    {
        if (formats is null || formats.Count == 0) return [SignatureFormat.Cosign, SignatureFormat.SigstoreBundle];
        if (formats.Count > FormatNames.Count) throw new ManagementException(ManagementError.BadRequest, $"at most {FormatNames.Count} formats");
        var list = new List<SignatureFormat>();
        foreach (var f in formats)
        {
            if (f is null || !FormatNames.TryGetValue(f, out var format))
                throw new ManagementException(ManagementError.BadRequest, $"unknown format '{f}' ({string.Join(", ", FormatNames.Keys)})");
            if (!list.Contains(format)) list.Add(format);
        }
        return list;
    }

    private LocalSigner Open(ImageSigningKeyRecord key)
    {
        byte[] pkcs8;
        try
        {
            pkcs8 = kek().Open(SealPurpose, key.Name, key.EncryptedPrivateKey);
        }
        catch (CryptographicException)
        {
            // Another key file than the one that sealed it, or a tampered row: say so, never more.
            throw new ManagementException(ManagementError.Conflict, $"signing key '{key.Name}' cannot be opened with this server's key-encryption key (Trust:KeyEncryptionKeyFile)");
        }
        try
        {
            return LocalSigner.FromPkcs8(pkcs8, key.Algorithm == nameof(SigningAlgorithm.RsaPssSha256), key.CertificateChainPem);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private async Task<ImageSigningKeyRecord> AddAsync(RegistryCaller caller, string? name, LocalSigner signer, IReadOnlyList<string>? principals, string how, CancellationToken ct)
    {
        if (name is null || !NamePattern().IsMatch(name))
            throw new ManagementException(ManagementError.BadRequest, $"'{name}' is not a key name (lowercase letters, digits, '.', '_', '-'; up to 64, starting with a letter or digit)");
        var list = await ValidatePrincipalsAsync(principals, ct).ConfigureAwait(false);
        if (await store.CountAsync(ct).ConfigureAwait(false) >= MaxKeys)
            throw new ManagementException(ManagementError.Conflict, $"the server holds {MaxKeys} signing keys, the most allowed; delete one first");
        byte[] pkcs8 = signer.ExportPkcs8();
        byte[] sealedKey;
        try
        {
            sealedKey = kek().Seal(SealPurpose, name, pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
        var now = time.GetUtcNow();
        var record = new ImageSigningKeyRecord(name, signer.Algorithm.ToString(), signer.PublicKeyPem, signer.KeyFingerprint, sealedKey,
            signer.CertificateChainPem, list, caller.Principal.Name, now) { UpdatedAt = now };
        if (!await store.AddAsync(record, ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.Conflict, $"a signing key '{name}' exists");
        KeysChanged?.Invoke();
        audit.Record(caller.Principal.Name, caller.ClientAddress, $"signing-key.{how}", "success", reference: $"key {name}",
            detail: $"{record.Algorithm} {record.Fingerprint}; principals {string.Join(',', list)}");
        return record;
    }

    private async Task<List<string>> ValidatePrincipalsAsync(IReadOnlyList<string>? principals, CancellationToken ct)
    {
        var list = (principals ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > MaxPrincipals) throw new ManagementException(ManagementError.BadRequest, $"at most {MaxPrincipals} principals per key");
        foreach (var p in list)
        {
            bool exists = p is not null && (p.StartsWith(Authenticator.RobotPrefix, StringComparison.Ordinal)
                ? await identities.GetRobotAsync(p, ct).ConfigureAwait(false) is not null
                : await identities.GetUserAsync(p, ct).ConfigureAwait(false) is not null);
            if (!exists) throw new ManagementException(ManagementError.BadRequest, $"no user or robot '{p}' (robots are named robot$NAME)");
        }
        return list;
    }

    private static LocalSigner Generate(AsymmetricAlgorithm key, bool rsaPss)
    {
        using (key) return LocalSigner.FromPkcs8(key.ExportPkcs8PrivateKey(), rsaPss, []);
    }

    private static LocalSigner GenerateEd25519()
    {
        var key = new Ed25519PrivateKeyParameters(new SecureRandom());
        return LocalSigner.FromPkcs8(PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded(), rsaPss: false, []);
    }
}

/// <summary>What one sign request did.</summary>
public sealed record SignOutcome(ImageSigningKeyRecord Key, string Repository, Digest Digest, IReadOnlyList<AttachResult> Signatures);
