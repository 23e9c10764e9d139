using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bollard.Core.Auth;
using Bollard.Core.Mirror;
using Bollard.Core.Security;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Mirror;

public sealed class UpstreamCredentialSealTests
{
    private static readonly KeyEncryptionKey Kek = KeyEncryptionKey.FromBytes(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void Seal_ThenOpen_SameUpstream_GivesTheCredentialsBack()
    {
        var credential = new UpstreamCredential("ci-bot", "s3cr\u00e9t:with:colons");
        byte[] sealedBytes = UpstreamCredentialSeal.Seal(Kek, "docker.io", credential);

        Assert.Equal(credential, UpstreamCredentialSeal.Open(Kek, "docker.io", sealedBytes));
        Assert.DoesNotContain("ci-bot", System.Text.Encoding.UTF8.GetString(sealedBytes), StringComparison.Ordinal);
        // A fresh nonce each time: the same credentials never seal to the same bytes.
        Assert.NotEqual(sealedBytes, UpstreamCredentialSeal.Seal(Kek, "docker.io", credential));
    }

    [Fact]
    public void Open_UnderAnotherUpstreamName_Fails()
    {
        byte[] sealedBytes = UpstreamCredentialSeal.Seal(Kek, "docker.io", new UpstreamCredential("u", "p"));

        Assert.ThrowsAny<CryptographicException>(() => UpstreamCredentialSeal.Open(Kek, "ghcr.io", sealedBytes));
    }

    [Theory]
    [InlineData(0)] // the version byte
    [InlineData(5)] // the nonce
    [InlineData(20)] // the tag
    [InlineData(-1)] // the ciphertext
    public void Open_Tampered_Fails(int at)
    {
        byte[] sealedBytes = UpstreamCredentialSeal.Seal(Kek, "docker.io", new UpstreamCredential("user", "password"));
        sealedBytes[at < 0 ? sealedBytes.Length + at : at] ^= 0x01;

        Assert.ThrowsAny<CryptographicException>(() => UpstreamCredentialSeal.Open(Kek, "docker.io", sealedBytes));
    }

    [Fact]
    public void Open_WithAnotherKeyOrPurpose_Fails()
    {
        byte[] sealedBytes = UpstreamCredentialSeal.Seal(Kek, "docker.io", new UpstreamCredential("user", "password"));
        var other = KeyEncryptionKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        Assert.ThrowsAny<CryptographicException>(() => UpstreamCredentialSeal.Open(other, "docker.io", sealedBytes));

        // A sealed signing key of the same name put in the row does not open as credentials.
        byte[] signingKey = Kek.Seal("bollard image signing key", "docker.io", [0, 4, 1, 2, 3, 4]);
        Assert.ThrowsAny<CryptographicException>(() => UpstreamCredentialSeal.Open(Kek, "docker.io", signingKey));
    }

    [Fact]
    public void ToString_NeverShowsThePassword() =>
        Assert.DoesNotContain("hunter2", new UpstreamCredential("bob", "hunter2").ToString(), StringComparison.Ordinal);
}

public sealed class UpstreamCredentialsTests
{
    private static readonly RegistryCaller Admin = new(new Principal(PrincipalKind.User, 1, "root", IsAdmin: true), null, "127.0.0.1");
    private static readonly RegistryCaller Dev = new(new Principal(PrincipalKind.User, 2, "dev", IsAdmin: false), null, "127.0.0.1");
    private readonly MemoryStore _store = new();
    private readonly UpstreamCredentials _credentials;

    public UpstreamCredentialsTests()
    {
        var kek = KeyEncryptionKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        var options = new MirrorOptions
        {
            Upstreams = [new UpstreamOptions { Name = "docker.io", Url = "https://registry-1.docker.io" }, new UpstreamOptions { Name = "ghcr.io", Url = "https://ghcr.io" }],
        };
        _credentials = new UpstreamCredentials(_store, () => kek, options, new AuditRecorder(new NoAuditLog(), TimeProvider.System), TimeProvider.System);
    }

    [Fact]
    public async Task Set_ByAdmin_StoresOnlySealed_AndIsReadBack()
    {
        await _credentials.SetAsync(Admin, "docker.io", "bot", "pa55word", CancellationToken.None);

        var row = _store.Rows["docker.io"];
        Assert.Equal("root", row.UpdatedBy);
        Assert.DoesNotContain("pa55word", System.Text.Encoding.UTF8.GetString(row.Sealed), StringComparison.Ordinal);
        Assert.Equal(new UpstreamCredential("bot", "pa55word"), await _credentials.StoredAsync("docker.io", CancellationToken.None));
        Assert.Null(await _credentials.StoredAsync("ghcr.io", CancellationToken.None));
        Assert.Empty((await _credentials.ListStoredAsync(CancellationToken.None))["docker.io"].Sealed);
    }

    [Fact]
    public async Task Set_ByNonAdmin_Forbidden_UnknownUpstream_NotFound()
    {
        var forbidden = await Assert.ThrowsAsync<ManagementException>(() => _credentials.SetAsync(Dev, "docker.io", "bot", "pw", CancellationToken.None));
        Assert.Equal(ManagementError.Forbidden, forbidden.Error);
        var removal = await Assert.ThrowsAsync<ManagementException>(() => _credentials.RemoveAsync(Dev, "docker.io", CancellationToken.None));
        Assert.Equal(ManagementError.Forbidden, removal.Error);
        var unknown = await Assert.ThrowsAsync<ManagementException>(() => _credentials.SetAsync(Admin, "quay.io", "bot", "pw", CancellationToken.None));
        Assert.Equal(ManagementError.NotFound, unknown.Error);
        var colon = await Assert.ThrowsAsync<ManagementException>(() => _credentials.SetAsync(Admin, "docker.io", "a:b", "pw", CancellationToken.None));
        Assert.Equal(ManagementError.BadRequest, colon.Error);
        Assert.Empty(_store.Rows);
    }

    [Fact]
    public async Task Remove_ForgetsThem_AtOnce()
    {
        await _credentials.SetAsync(Admin, "docker.io", "bot", "pw", CancellationToken.None);
        Assert.NotNull(await _credentials.StoredAsync("docker.io", CancellationToken.None));

        Assert.True(await _credentials.RemoveAsync(Admin, "docker.io", CancellationToken.None));

        Assert.Null(await _credentials.StoredAsync("docker.io", CancellationToken.None));
        Assert.False(await _credentials.RemoveAsync(Admin, "docker.io", CancellationToken.None));
    }

    [Fact]
    public async Task RowCopiedToAnotherUpstream_DoesNotOpen_ClearError()
    {
        await _credentials.SetAsync(Admin, "docker.io", "bot", "pw", CancellationToken.None);
        _store.Rows["ghcr.io"] = _store.Rows["docker.io"] with { Upstream = "ghcr.io" };

        var e = await Assert.ThrowsAsync<UpstreamException>(async () => await _credentials.StoredAsync("ghcr.io", CancellationToken.None));
        Assert.Equal(UpstreamFailure.Unauthorized, e.Failure);
        Assert.Contains("bollard mirror login ghcr.io", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnopenableRow_IsNotReadOrTriedAgain_AndToldOnce_UntilTheRowChanges()
    {
        var time = new Bollard.Core.Tests.Auth.FakeTimeProvider();
        var kek = KeyEncryptionKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        var options = new MirrorOptions { Upstreams = [new UpstreamOptions { Name = "docker.io", Url = "https://registry-1.docker.io" }] };
        var told = new List<string>();
        var credentials = new UpstreamCredentials(_store, () => kek, options, new AuditRecorder(new NoAuditLog(), TimeProvider.System), time, told.Add);
        // Sealed under another server's key: it never opens here.
        var otherKey = KeyEncryptionKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        _store.Rows["docker.io"] = new StoredUpstreamCredential("docker.io", UpstreamCredentialSeal.Seal(otherKey, "docker.io", new UpstreamCredential("u", "p")), "root", time.GetUtcNow());

        for (int i = 0; i < 5; i++)
        {
            var e = await Assert.ThrowsAsync<UpstreamException>(async () => await credentials.StoredAsync("docker.io", CancellationToken.None));
            Assert.Equal(UpstreamFailure.Unauthorized, e.Failure);
        }
        Assert.Equal(1, _store.Gets);
        // After RereadAfter the row is read again, but it is the same row: not tried, not told again.
        time.Advance(UpstreamCredentials.RereadAfter + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<UpstreamException>(async () => await credentials.StoredAsync("docker.io", CancellationToken.None));
        Assert.Equal(2, _store.Gets);
        var line = Assert.Single(told);
        Assert.Contains("cannot be opened", line, StringComparison.Ordinal);
        Assert.Contains("bollard mirror login docker.io", line, StringComparison.Ordinal);

        // Stored again (by another server sharing the database): seen after RereadAfter, and opened.
        time.Advance(TimeSpan.FromSeconds(1));
        _store.Rows["docker.io"] = new StoredUpstreamCredential("docker.io", UpstreamCredentialSeal.Seal(kek, "docker.io", new UpstreamCredential("u", "p2")), "root", time.GetUtcNow());
        time.Advance(UpstreamCredentials.RereadAfter + TimeSpan.FromSeconds(1));
        Assert.Equal(new UpstreamCredential("u", "p2"), await credentials.StoredAsync("docker.io", CancellationToken.None));
    }

    [Fact]
    public async Task RemoveUnconfigured_DeletesOnlyTheRowsOfUpstreamsNoLongerConfigured()
    {
        await _credentials.SetAsync(Admin, "docker.io", "bot", "pw", CancellationToken.None);
        _store.Rows["quay.io"] = _store.Rows["docker.io"] with { Upstream = "quay.io" };

        Assert.Equal(["quay.io"], await _credentials.RemoveUnconfiguredAsync(CancellationToken.None));
        Assert.Equal(["docker.io"], _store.Rows.Keys.ToList());
        Assert.Empty(await _credentials.RemoveUnconfiguredAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("u", null, null, "none")]
    [InlineData(null, "p", null, "none")]
    [InlineData("u", "p", null, "config")]
    [InlineData("u", null, "/run/secrets/p", "file")]
    public void Source_NamesWhereTheCredentialsComeFrom(string? user, string? password, string? file, string expected)
    {
        var upstream = new UpstreamOptions { Name = "x", Username = user, Password = password, PasswordFile = file };
        Assert.Equal(expected, UpstreamCredentials.Source(upstream, stored: false));
        Assert.Equal("stored", UpstreamCredentials.Source(upstream, stored: true));
    }

    private sealed class MemoryStore : IUpstreamCredentialStore
    {
        public ConcurrentDictionary<string, StoredUpstreamCredential> Rows { get; } = new(StringComparer.Ordinal);

        private int _gets;

        public int Gets => Volatile.Read(ref _gets);

        public Task<StoredUpstreamCredential?> GetAsync(string upstream, CancellationToken ct)
        {
            Interlocked.Increment(ref _gets);
            return Task.FromResult(Rows.GetValueOrDefault(upstream));
        }

        public Task<IReadOnlyList<StoredUpstreamCredential>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<StoredUpstreamCredential>>(Rows.Values.ToList());

        public Task PutAsync(StoredUpstreamCredential credential, CancellationToken ct)
        {
            Rows[credential.Upstream] = credential;
            return Task.CompletedTask;
        }

        public Task<bool> DeleteAsync(string upstream, CancellationToken ct) => Task.FromResult(Rows.TryRemove(upstream, out _));
    }

    private sealed class NoAuditLog : IAuditLog
    {
        public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct) => ValueTask.CompletedTask;

        public ValueTask<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct) => ValueTask.FromResult<IReadOnlyList<AuditEvent>>([]);
    }
}
