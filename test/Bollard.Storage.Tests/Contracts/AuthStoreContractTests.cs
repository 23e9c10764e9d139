using Bollard.Core.Auth;
using Bollard.Core.Storage;

namespace Bollard.Storage.Tests.Contracts;

/// <summary>
/// The identity, access, signing-key and audit stores: every metadata backend (SQLite now, PostgreSQL later) must
/// pass these, for every interface method. Kept apart from <see cref="MetadataStoreContractTests"/> (registry
/// stores) so each suite can grow on its own; a backend derives from both.
/// </summary>
public abstract class AuthStoreContractTests : IDisposable
{
    protected abstract IIdentityStore Identities { get; }
    protected abstract IAccessStore Access { get; }
    protected abstract ISigningKeyStore SigningKeys { get; }
    protected abstract IAuditLog Audit { get; }

    public abstract void Dispose();

    // Millisecond precision is what every backend keeps.
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private async Task<UserRecord> UserAsync(string name, bool admin = false) =>
        await Identities.CreateUserAsync(name, "hash-" + name, admin, Now, default) ?? throw new InvalidOperationException(name);

    [Fact]
    public async Task Users_CreateGetListUpdateDelete()
    {
        var alice = await UserAsync("alice");
        Assert.Null(await Identities.CreateUserAsync("alice", "other", false, Now, default)); // name taken
        await UserAsync("bob", admin: true);

        Assert.Equal(alice, await Identities.GetUserAsync("alice", default));
        Assert.Equal(alice, await Identities.GetUserAsync(alice.Id, default));
        Assert.Null(await Identities.GetUserAsync("ALICE", default)); // names are exact
        Assert.Null(await Identities.GetUserAsync(alice.Id + 1000, default));
        Assert.Equal(["alice", "bob"], (await Identities.ListUsersAsync(default)).Select(u => u.Name));

        Assert.True(await Identities.UpdateUserAsync(alice.Id, "new-hash", null, default));
        Assert.Equal(("new-hash", false), ((await Identities.GetUserAsync(alice.Id, default))!.PasswordHash, (await Identities.GetUserAsync(alice.Id, default))!.IsAdmin));
        Assert.True(await Identities.UpdateUserAsync(alice.Id, null, true, default));
        var updated = (await Identities.GetUserAsync(alice.Id, default))!;
        Assert.Equal("new-hash", updated.PasswordHash);
        Assert.True(updated.IsAdmin);
        Assert.False(await Identities.UpdateUserAsync(alice.Id + 1000, "x", null, default));

        Assert.True(await Identities.DeleteUserAsync(alice.Id, default));
        Assert.False(await Identities.DeleteUserAsync(alice.Id, default));
        Assert.Null(await Identities.GetUserAsync("alice", default));
    }

    [Fact]
    public async Task DeleteUser_TakesTheirTokensBindingsAndRefreshTokens()
    {
        var alice = await UserAsync("alice");
        var bob = await UserAsync("bob");
        await Identities.CreateAccessTokenAsync(alice.Id, "ci", "pat-a", null, Now, default);
        await Access.AddBindingAsync(PrincipalKind.User, alice.Id, Role.Reader, "a/**", Now, default);
        await Access.AddBindingAsync(PrincipalKind.User, bob.Id, Role.Reader, "b/**", Now, default);
        await Identities.CreateRefreshTokenAsync(new RefreshTokenRecord("rt-a", PrincipalKind.User, alice.Id, "bollard", Now.AddDays(1)), default);

        Assert.True(await Identities.DeleteUserAsync(alice.Id, default));
        Assert.Null(await Identities.FindAccessTokenAsync("pat-a", default));
        Assert.Null(await Identities.FindRefreshTokenAsync("rt-a", default));
        Assert.Equal(["b/**"], (await Access.ListBindingsAsync(default)).Select(b => b.Pattern));
    }

    [Fact]
    public async Task Robots_CreateGetListDelete_WithTheirBindingsAndRefreshTokens()
    {
        var robot = await Identities.CreateRobotAsync("robot$ci", "secret-hash", "CI", Now.AddDays(90), "admin", Now, default);
        Assert.NotNull(robot);
        Assert.Equal(("robot$ci", "secret-hash", "CI", Now.AddDays(90), "admin", Now), (robot.Name, robot.SecretHash, robot.Description, robot.ExpiresAt, robot.CreatedBy, robot.CreatedAt));
        Assert.Null(await Identities.CreateRobotAsync("robot$ci", "x", "", null, "admin", Now, default));
        var forever = await Identities.CreateRobotAsync("robot$always", "h", "", null, "admin", Now, default);
        Assert.Null(forever!.ExpiresAt);

        Assert.Equal(robot, await Identities.GetRobotAsync("robot$ci", default));
        Assert.Equal(robot, await Identities.GetRobotAsync(robot.Id, default));
        Assert.Null(await Identities.GetRobotAsync("robot$nope", default));
        Assert.Equal(["robot$always", "robot$ci"], (await Identities.ListRobotsAsync(default)).Select(r => r.Name));

        await Access.AddBindingAsync(PrincipalKind.Robot, robot.Id, Role.Developer, "apps/**", Now, default);
        await Identities.CreateRefreshTokenAsync(new RefreshTokenRecord("rt-r", PrincipalKind.Robot, robot.Id, "bollard", Now.AddDays(1)) { Credential = "robot" }, default);
        Assert.True(await Identities.DeleteRobotAsync(robot.Id, default));
        Assert.False(await Identities.DeleteRobotAsync(robot.Id, default));
        Assert.Null(await Identities.GetRobotAsync("robot$ci", default));
        Assert.Empty(await Access.ListBindingsAsync(default));
        Assert.Null(await Identities.FindRefreshTokenAsync("rt-r", default));
    }

    [Fact]
    public async Task AccessTokens_CreateFindListDelete_OnlyTheOwnersAndIdsNeverReused()
    {
        var alice = await UserAsync("alice");
        var bob = await UserAsync("bob");
        var first = await Identities.CreateAccessTokenAsync(alice.Id, "laptop", "h1", Now.AddHours(1), Now, default);
        Assert.Equal((alice.Id, "laptop", "h1", Now.AddHours(1), Now), (first.UserId, first.Name, first.Hash, first.ExpiresAt, first.CreatedAt));
        var second = await Identities.CreateAccessTokenAsync(alice.Id, "ci", "h2", null, Now, default);
        await Identities.CreateAccessTokenAsync(bob.Id, "bob's", "h3", null, Now, default);

        Assert.Equal(first, await Identities.FindAccessTokenAsync("h1", default));
        Assert.Null(await Identities.FindAccessTokenAsync("nope", default));
        Assert.Equal([first.Id, second.Id], (await Identities.ListAccessTokensAsync(alice.Id, default)).Select(t => t.Id));

        Assert.False(await Identities.DeleteAccessTokenAsync(bob.Id, second.Id, default)); // not bob's
        Assert.True(await Identities.DeleteAccessTokenAsync(alice.Id, second.Id, default));
        Assert.False(await Identities.DeleteAccessTokenAsync(alice.Id, second.Id, default));
        var third = await Identities.CreateAccessTokenAsync(alice.Id, "again", "h4", null, Now, default);
        Assert.True(third.Id > second.Id, $"token id {second.Id} handed out again");
    }

    [Fact]
    public async Task RefreshTokens_CreateFindRotateRevoke()
    {
        var alice = await UserAsync("alice");
        var record = new RefreshTokenRecord("rt1", PrincipalKind.User, alice.Id, "bollard", Now.AddDays(30)) { Credential = "password" };
        await Identities.CreateRefreshTokenAsync(record, default);
        var found = await Identities.FindRefreshTokenAsync("rt1", default);
        Assert.NotNull(found);
        Assert.Equal((PrincipalKind.User, alice.Id, "bollard", Now.AddDays(30), "password"), (found.Kind, found.PrincipalId, found.Audience, found.ExpiresAt, found.Credential));
        Assert.Null(found.UsedAt);
        Assert.Equal("rt1", found.Family); // a new token starts its own family
        Assert.Null(await Identities.FindRefreshTokenAsync("nope", default));

        // Rotation: once only, atomically with the replacement.
        var next = record with { Hash = "rt2", Family = found.Family };
        Assert.True(await Identities.RotateRefreshTokenAsync("rt1", next, Now, default));
        Assert.Equal(Now, (await Identities.FindRefreshTokenAsync("rt1", default))!.UsedAt);
        Assert.Equal("rt1", (await Identities.FindRefreshTokenAsync("rt2", default))!.Family);
        Assert.False(await Identities.RotateRefreshTokenAsync("rt1", record with { Hash = "rt3", Family = "rt1" }, Now, default));
        Assert.Null(await Identities.FindRefreshTokenAsync("rt3", default));
        Assert.False(await Identities.RotateRefreshTokenAsync("nope", record with { Hash = "rt4" }, Now, default));

        // Family revocation takes the used token and its replacement.
        await Identities.CreateRefreshTokenAsync(record with { Hash = "other" }, default);
        Assert.Equal(2, await Identities.RevokeRefreshTokenFamilyAsync("rt1", default));
        Assert.Null(await Identities.FindRefreshTokenAsync("rt2", default));
        Assert.NotNull(await Identities.FindRefreshTokenAsync("other", default));
    }

    [Fact]
    public async Task RefreshTokens_RevokedByCredential_WithThoseOfUnknownOrigin()
    {
        var alice = await UserAsync("alice");
        var bob = await UserAsync("bob");
        RefreshTokenRecord T(string hash, long user, string credential) => new(hash, PrincipalKind.User, user, "bollard", Now.AddDays(1)) { Credential = credential };
        foreach (var t in new[] { T("pw", alice.Id, "password"), T("pat1", alice.Id, "pat:1"), T("pat2", alice.Id, "pat:2"), T("legacy", alice.Id, ""), T("bob", bob.Id, "password") })
            await Identities.CreateRefreshTokenAsync(t, default);

        Assert.Equal(2, await Identities.RevokeRefreshTokensAsync(PrincipalKind.User, alice.Id, "pat:1", default)); // and the legacy one
        Assert.Null(await Identities.FindRefreshTokenAsync("pat1", default));
        Assert.Null(await Identities.FindRefreshTokenAsync("legacy", default));
        Assert.NotNull(await Identities.FindRefreshTokenAsync("pat2", default));
        Assert.Equal(0, await Identities.RevokeRefreshTokensAsync(PrincipalKind.Robot, alice.Id, null, default)); // kind matters
        Assert.Equal(2, await Identities.RevokeRefreshTokensAsync(PrincipalKind.User, alice.Id, null, default));
        Assert.NotNull(await Identities.FindRefreshTokenAsync("bob", default));
    }

    [Fact]
    public async Task Bindings_AddListDelete_IdempotentAdd_IdsNeverReused()
    {
        var alice = await UserAsync("alice");
        var robot = (await Identities.CreateRobotAsync("robot$ci", "h", "", null, "admin", Now, default))!;
        var b1 = await Access.AddBindingAsync(PrincipalKind.User, alice.Id, Role.Maintainer, "team/**", Now, default);
        Assert.Equal((PrincipalKind.User, alice.Id, "alice", Role.Maintainer, "team/**", Now), (b1.Kind, b1.PrincipalId, b1.PrincipalName, b1.Role, b1.Pattern, b1.CreatedAt));
        var same = await Access.AddBindingAsync(PrincipalKind.User, alice.Id, Role.Maintainer, "team/**", Now.AddMinutes(1), default);
        Assert.Equal(b1, same);
        var b2 = await Access.AddBindingAsync(PrincipalKind.Robot, robot.Id, Role.Reader, "base/**", Now, default);
        Assert.Equal("robot$ci", b2.PrincipalName);
        Assert.Equal([b1.Id, b2.Id], (await Access.ListBindingsAsync(default)).Select(b => b.Id));

        Assert.True(await Access.DeleteBindingAsync(b2.Id, default));
        Assert.False(await Access.DeleteBindingAsync(b2.Id, default));
        var b3 = await Access.AddBindingAsync(PrincipalKind.Robot, robot.Id, Role.Reader, "base/**", Now, default);
        Assert.True(b3.Id > b2.Id, $"binding id {b2.Id} handed out again");
    }

    [Fact]
    public async Task PublicNamespaces_SetListUnset()
    {
        Assert.Empty(await Access.ListPublicPatternsAsync(default));
        Assert.True(await Access.SetPublicAsync("public/**", true, default));
        Assert.False(await Access.SetPublicAsync("public/**", true, default));
        Assert.True(await Access.SetPublicAsync("base/*", true, default));
        Assert.Equal(["base/*", "public/**"], await Access.ListPublicPatternsAsync(default));
        Assert.True(await Access.SetPublicAsync("public/**", false, default));
        Assert.False(await Access.SetPublicAsync("public/**", false, default));
        Assert.Equal(["base/*"], await Access.ListPublicPatternsAsync(default));
    }

    [Fact]
    public async Task SigningKeys_AddListNewestFirst_RetireOthers()
    {
        Assert.Empty(await SigningKeys.ListAsync(default));
        await SigningKeys.AddAsync(new SigningKeyRecord("old", [1, 2, 3], Now.AddDays(-1), null), default);
        await SigningKeys.AddAsync(new SigningKeyRecord("new", [4, 5, 6], Now, null), default);
        var keys = await SigningKeys.ListAsync(default);
        Assert.Equal(["new", "old"], keys.Select(k => k.KeyId));
        Assert.Equal(new byte[] { 4, 5, 6 }, keys[0].PrivateKeyPkcs8);
        Assert.All(keys, k => Assert.Null(k.RetiredAt));

        await SigningKeys.RetireOthersAsync("new", Now, default);
        keys = await SigningKeys.ListAsync(default);
        Assert.Null(keys.Single(k => k.KeyId == "new").RetiredAt);
        Assert.Equal(Now, keys.Single(k => k.KeyId == "old").RetiredAt);
        // An already retired key keeps its retirement time.
        await SigningKeys.RetireOthersAsync("new", Now.AddHours(1), default);
        Assert.Equal(Now, (await SigningKeys.ListAsync(default)).Single(k => k.KeyId == "old").RetiredAt);
    }

    [Fact]
    public async Task Audit_AppendAndQuery_EveryFilter_NewestFirst_Paged()
    {
        AuditEvent E(int minute, string principal, string action, string outcome, string? repo = null, int count = 1) => new()
        {
            Time = Now.AddMinutes(minute), Principal = principal, ClientAddress = "10.0.0.1", Action = action, Outcome = outcome,
            Repository = repo, Reference = "v1", Detail = "d", Count = count,
        };
        await Audit.AppendAsync([], default);
        await Audit.AppendAsync([E(0, "alice", "login", "success"), E(1, "bob", "login", "failure"), E(2, "alice", "push", "success", "team/app")], default);
        await Audit.AppendAsync([E(3, "alice", "pull", "success", "team/app", count: 7)], default);

        var all = await Audit.QueryAsync(new AuditQuery(), default);
        Assert.Equal(["pull", "push", "login", "login"], all.Select(e => e.Action));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Id > p.Second.Id));
        var pull = all[0];
        Assert.Equal((Now.AddMinutes(3), "alice", "10.0.0.1", "team/app", "v1", "success", "d", 7),
            (pull.Time, pull.Principal, pull.ClientAddress, pull.Repository, pull.Reference, pull.Outcome, pull.Detail, pull.Count));

        Assert.Equal(3, (await Audit.QueryAsync(new AuditQuery { Principal = "alice" }, default)).Count);
        Assert.Equal(2, (await Audit.QueryAsync(new AuditQuery { Action = "login" }, default)).Count);
        Assert.Equal(2, (await Audit.QueryAsync(new AuditQuery { Repository = "team/app" }, default)).Count);
        Assert.Equal("bob", (await Audit.QueryAsync(new AuditQuery { Outcome = "failure" }, default)).Single().Principal);
        Assert.Equal(["pull", "push"], (await Audit.QueryAsync(new AuditQuery { Since = Now.AddMinutes(2) }, default)).Select(e => e.Action));
        Assert.Equal(["login", "login"], (await Audit.QueryAsync(new AuditQuery { Until = Now.AddMinutes(2) }, default)).Select(e => e.Action));
        var page = await Audit.QueryAsync(new AuditQuery { Limit = 2 }, default);
        Assert.Equal(2, page.Count);
        var rest = await Audit.QueryAsync(new AuditQuery { BeforeId = page[^1].Id }, default);
        Assert.Equal(["login", "login"], rest.Select(e => e.Action));
    }
}
