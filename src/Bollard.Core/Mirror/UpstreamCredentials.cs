using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bollard.Core.Auth;
using Bollard.Core.Security;

namespace Bollard.Core.Mirror;

/// <summary>
/// Credentials for configured upstreams that an admin stores at runtime (<c>PUT /api/v1/mirror/upstreams/NAME/credentials</c>,
/// <c>bollard mirror login</c>), sealed in the metadata database under the server's key-encryption key
/// (<see cref="UpstreamCredentialSeal"/>). They win over the configuration's <see cref="UpstreamOptions.PasswordFile"/>
/// and <see cref="UpstreamOptions.Password"/>. The password is never returned: listings say only whether there are
/// stored credentials. Opened credentials are kept in memory and read again after <see cref="RereadAfter"/>, so servers
/// sharing a database see each other's changes; this server's own changes apply at once. Thread-safe.
/// </summary>
/// <param name="unreadable">Told once per stored row that does not open (the server logs it); null: not told.</param>
public sealed class UpstreamCredentials(
    IUpstreamCredentialStore store, Func<KeyEncryptionKey> kek, MirrorOptions options, AuditRecorder audit, TimeProvider time, Action<string>? unreadable = null)
{
    /// <summary>How long opened credentials are used before the database is asked again.</summary>
    public static readonly TimeSpan RereadAfter = TimeSpan.FromSeconds(30);

    /// <summary>Longest user name and password accepted (tokens of cloud registries run to a few KiB).</summary>
    public const int MaxUsernameChars = 256, MaxPasswordChars = 16 * 1024;

    private readonly ConcurrentDictionary<string, Entry> _opened = new(StringComparer.Ordinal);

    /// <summary>Where an upstream's credentials come from: <c>stored</c>, <c>file</c> (PasswordFile), <c>config</c> (Password) or <c>none</c>.</summary>
    public static string Source(UpstreamOptions upstream, bool stored)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        if (stored) return "stored";
        if (string.IsNullOrEmpty(upstream.Username)) return "none";
        if (!string.IsNullOrEmpty(upstream.PasswordFile)) return "file";
        return upstream.Password is not null ? "config" : "none";
    }

    /// <returns>The stored credentials of <paramref name="upstream"/>, opened; null when none are stored.</returns>
    /// <exception cref="UpstreamException"><see cref="UpstreamFailure.Unauthorized"/>: stored, but they do not open
    /// (another key-encryption key file, a row copied from another upstream, tampering).</exception>
    public async ValueTask<UpstreamCredential?> StoredAsync(string upstream, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        _opened.TryGetValue(upstream, out var entry);
        if (entry is not null && now - entry.ReadAt < RereadAfter) return entry.Failure is { } known ? throw Fresh(known) : entry.Credential;
        var row = await store.GetAsync(upstream, ct).ConfigureAwait(false);
        // A row that did not open is not tried again (nor logged again) until it changes: stored again here or by another
        // server sharing the database (seen within RereadAfter), or removed.
        if (row is not null && entry is { Failure: { } failure, FailedRow: { } failed } && SameRow(failed, row))
        {
            _opened[upstream] = entry with { ReadAt = now };
            throw Fresh(failure);
        }
        UpstreamCredential? credential = null;
        if (row is not null)
        {
            try
            {
                credential = UpstreamCredentialSeal.Open(Key(), upstream, row.Sealed);
            }
            catch (Exception e) when (e is CryptographicException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                var unopened = new UpstreamException(UpstreamFailure.Unauthorized,
                    $"upstream {upstream}: its stored credentials (stored by {row.UpdatedBy} at {row.UpdatedAt:u}) cannot be opened with this server's key-encryption key (Trust:KeyEncryptionKeyFile): {e.Message}; store them again with 'bollard mirror login {upstream}'", e);
                _opened[upstream] = new Entry(null, now, unopened, row);
                unreadable?.Invoke(unopened.Message + " (not tried again until they change)");
                throw Fresh(unopened);
            }
        }
        _opened[upstream] = new Entry(credential, now);
        return credential;
    }

    /// <summary>A new exception per caller (many requests share one failure, and a thrown exception is not shareable).</summary>
    private static UpstreamException Fresh(UpstreamException failure) => new(failure.Failure, failure.Message, failure.InnerException);

    private static bool SameRow(StoredUpstreamCredential a, StoredUpstreamCredential b) =>
        a.UpdatedAt == b.UpdatedAt && string.Equals(a.UpdatedBy, b.UpdatedBy, StringComparison.Ordinal) && a.Sealed.AsSpan().SequenceEqual(b.Sealed);

    /// <summary>The names of the upstreams with stored credentials, with who stored them when (no secret).</summary>
    public async Task<IReadOnlyDictionary<string, StoredUpstreamCredential>> ListStoredAsync(CancellationToken ct) =>
        (await store.ListAsync(ct).ConfigureAwait(false)).ToDictionary(r => r.Upstream, r => r with { Sealed = [] }, StringComparer.Ordinal);

    /// <summary>Stores (replaces) the credentials of a configured upstream (admins). Tokens got with the old ones are dropped
    /// by <see cref="Upstream.HttpUpstreamRegistry"/> at its next request.</summary>
    public async Task SetAsync(RegistryCaller caller, string upstream, string? username, string? password, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        IdentityService.RequireAdmin(caller);
        var configured = Configured(upstream);
        if (string.IsNullOrEmpty(username)) throw new ManagementException(ManagementError.BadRequest, "give a username");
        if (username.Length > MaxUsernameChars || username.Contains(':', StringComparison.Ordinal) || username.Any(char.IsControl))
            throw new ManagementException(ManagementError.BadRequest, $"the username must be at most {MaxUsernameChars} characters without ':' or control characters");
        if (string.IsNullOrEmpty(password)) throw new ManagementException(ManagementError.BadRequest, "give a password (or token)");
        if (password.Length > MaxPasswordChars || password.Any(char.IsControl))
            throw new ManagementException(ManagementError.BadRequest, $"the password must be at most {MaxPasswordChars} characters without control characters");
        var credential = new UpstreamCredential(username, password);
        byte[] sealedCredential;
        try
        {
            sealedCredential = UpstreamCredentialSeal.Seal(Key(), configured.Name, credential);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new ManagementException(ManagementError.Conflict, $"cannot seal the credentials: {e.Message}");
        }
        var now = time.GetUtcNow();
        await store.PutAsync(new StoredUpstreamCredential(configured.Name, sealedCredential, caller.Principal.Name, now), ct).ConfigureAwait(false);
        _opened[configured.Name] = new Entry(credential, now);
        audit.Record(caller.Principal.Name, caller.ClientAddress, "mirror.credentials.set", "success", reference: configured.Name, detail: $"user {username}");
    }

    /// <summary>Removes the stored credentials (admins): the configuration's, if any, apply again.</summary>
    /// <returns>Whether there were stored credentials.</returns>
    public async Task<bool> RemoveAsync(RegistryCaller caller, string upstream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        IdentityService.RequireAdmin(caller);
        var configured = Configured(upstream);
        bool removed = await store.DeleteAsync(configured.Name, ct).ConfigureAwait(false);
        _opened[configured.Name] = new Entry(null, time.GetUtcNow());
        if (removed) audit.Record(caller.Principal.Name, caller.ClientAddress, "mirror.credentials.delete", "success", reference: configured.Name);
        return removed;
    }

    /// <summary>
    /// Deletes the stored credentials of upstreams no longer in the configuration (run at startup): nothing would ever use
    /// them, no endpoint could remove them (those take configured names only), and a secret is not kept for nothing.
    /// Audited as <c>mirror.credentials.delete</c>. An upstream configured again needs a new <c>bollard mirror login</c>.
    /// </summary>
    /// <returns>The upstream names whose rows were deleted.</returns>
    public async Task<IReadOnlyList<string>> RemoveUnconfiguredAsync(CancellationToken ct)
    {
        var removed = new List<string>();
        foreach (var row in await store.ListAsync(ct).ConfigureAwait(false))
        {
            if (options.Find(row.Upstream) is not null || !await store.DeleteAsync(row.Upstream, ct).ConfigureAwait(false)) continue;
            _opened.TryRemove(row.Upstream, out _);
            removed.Add(row.Upstream);
            audit.Record("bollard", "", "mirror.credentials.delete", "success", reference: row.Upstream,
                detail: $"upstream no longer configured (stored by {row.UpdatedBy} at {row.UpdatedAt:u})");
        }
        return removed;
    }

    private UpstreamOptions Configured(string upstream) => options.Find(upstream)
        ?? throw new ManagementException(ManagementError.NotFound, options.Upstreams.Count == 0
            ? $"no upstream '{upstream}' (Mirror:Upstreams is empty)"
            : $"no upstream '{upstream}' (known: {string.Join(", ", options.Upstreams.Select(u => u.Name))})");

    private KeyEncryptionKey Key() => kek();

    /// <param name="Failure">Set when <paramref name="FailedRow"/> did not open: thrown until the row changes.</param>
    private sealed record Entry(UpstreamCredential? Credential, DateTimeOffset ReadAt, UpstreamException? Failure = null, StoredUpstreamCredential? FailedRow = null);
}
