using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>
/// Password guessing: after <c>Auth:MaxFailuresPerAccount</c> failures from one address the account answers that
/// address 429 with <c>Retry-After</c>, even to the right password, until the window passes (other addresses: see
/// <see cref="LoginHardeningTests"/>); the per-address limit holds across
/// user names; and a wrong password for an existing user costs about as much as any password for an unknown one.
/// Each server here has its own throttle (all requests come from 127.0.0.1).
/// </summary>
public sealed class BruteForceTests
{
    private static async Task<HttpResponseMessage> TokenAsync(AccessServer access, string user, string password) =>
        await access.RequestTokenAsync(new AccessCreds(user, password), "repository:bf/app:pull");

    private static async Task<HttpResponseMessage> ApiAsync(AccessServer access, string user, string password) =>
        await access.Api(new AccessCreds(user, password)).GetAsync("/api/v1/me");

    private static void AssertThrottled(HttpResponseMessage response, string what)
    {
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{what}: expected 429, got {(int)response.StatusCode}");
        Assert.True(response.Headers.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero, $"{what}: no Retry-After ({response.Headers.RetryAfter})");
    }

    [Fact]
    public async Task AfterMaxFailures_TheAccountIsThrottledFromThatAddress_EvenWithTheRightPassword_UntilTheWindowPasses()
    {
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:MaxFailuresPerAccount"] = "3",
            ["Auth:MaxFailuresPerAddress"] = "100",
            ["Auth:FailureWindow"] = "00:00:03",
        });
        var victim = await access.CreateUserAsync("victim");
        var bystander = await access.CreateUserAsync("bystander");

        for (int i = 0; i < 3; i++)
            using (var wrong = await TokenAsync(access, victim.User, $"guess-number-{i}"))
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var throttledAt = Stopwatch.StartNew();

        // The right password now gets 429 on the token endpoint, on the management API and through docker's flow.
        using (var right = await TokenAsync(access, victim.User, victim.Secret)) AssertThrottled(right, "token endpoint, right password");
        using (var right = await ApiAsync(access, victim.User, victim.Secret)) AssertThrottled(right, "management API, right password");
        using (var viaRegistry = await access.Registry(victim).GetAsync("/v2/"))
        {
            AssertThrottled(viaRegistry, "token dance");
        }
        // The upper-case name is another (non-existent) account, as in the identity store: not throttled with the
        // victim, and its failures do not count against the victim (issue 6, B4; it shared the victim's counter before).
        using (var upper = await TokenAsync(access, victim.User.ToUpperInvariant(), victim.Secret)) Assert.Equal(HttpStatusCode.Unauthorized, upper.StatusCode);
        // Another account is not affected.
        using (var other = await TokenAsync(access, bystander.User, bystander.Secret)) Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        // After the window the right password works again.
        var remaining = TimeSpan.FromSeconds(3.3) - throttledAt.Elapsed;
        if (remaining > TimeSpan.Zero) await Task.Delay(remaining);
        using (var later = await TokenAsync(access, victim.User, victim.Secret)) Assert.Equal(HttpStatusCode.OK, later.StatusCode);

        await access.AssertAuditedAsync(victim.User, "login", "failure");
        var throttled = await access.AssertAuditedAsync(victim.User, "login", "throttled");
        // Identical refusals within Auth:AuditCoalesceWindow are one row with a count (issue 6, B2).
        Assert.True(throttled.Sum(e => e.Count) >= 3, $"{throttled.Sum(e => e.Count)} throttled events");
        await access.AssertAuditedAsync(victim.User, "login", "success");
    }

    [Fact]
    public async Task PerAddressLimit_HoldsAcrossUserNames()
    {
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:MaxFailuresPerAccount"] = "100",
            ["Auth:MaxFailuresPerAddress"] = "5",
            ["Auth:FailureWindow"] = "00:05:00",
        });
        // Create the user before any failure (the admin's own logins must not be throttled for setup).
        var fresh = await access.CreateUserAsync("fresh-user");

        // One guess each for five different names (some exist, some do not): spraying.
        foreach (string name in new[] { "admin", "root", "alice", fresh.User, "robot$ci" })
            using (var wrong = await TokenAsync(access, name, "Password123!"))
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        // From this address, every login is now refused, whatever the name and however right the password.
        using (var right = await TokenAsync(access, fresh.User, fresh.Secret)) AssertThrottled(right, "a user never guessed, right password");
        using (var admin = await ApiAsync(access, "admin", AccessServer.AdminPassword)) AssertThrottled(admin, "admin, right password");
        using (var unknown = await TokenAsync(access, "nobody-" + Guid.NewGuid().ToString("N")[..6], "x")) AssertThrottled(unknown, "unknown user");

        // Anonymous pulls need no login and are not affected.
        using (var anonymous = await access.RequestTokenAsync(null, "repository:bf/app:pull")) Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);

        // (The audit log is read through the API, which needs a login: read it from the store directly.)
        var log = access.Server.Services.GetService(typeof(Bollard.Core.Storage.IAuditLog)) as Bollard.Core.Storage.IAuditLog;
        Assert.NotNull(log);
        var recorder = (Bollard.Core.Auth.AuditRecorder)access.Server.Services.GetService(typeof(Bollard.Core.Auth.AuditRecorder))!;
        await recorder.FlushAsync(CancellationToken.None);
        var events = await log.QueryAsync(new Bollard.Core.Storage.AuditQuery { Action = "login", Limit = 100 }, CancellationToken.None);
        Assert.Equal(5, events.Count(e => e.Outcome == "failure"));
        Assert.Contains(events, e => e.Outcome == "throttled" && e.Principal == fresh.User);
        Assert.Contains(events, e => e.Outcome == "throttled" && e.Principal == "admin");
    }

    /// <summary>
    /// Not a speed test, a leak check: with the real 600,000 PBKDF2 iterations (and with a configured lower
    /// count), a wrong password for an existing user and any password for an unknown one take the same order of
    /// time (medians within a factor of 10).
    /// </summary>
    [Theory]
    [InlineData("600000")]
    [InlineData("1000")]
    public async Task LoginFailureTiming_ForExistingAndUnknownUsers_IsOfTheSameOrder(string iterations)
    {
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:PasswordIterations"] = iterations,
            ["Auth:MaxFailuresPerAccount"] = "1000",
            ["Auth:MaxFailuresPerAddress"] = "1000",
        });
        var real = await access.CreateUserAsync("timing-user");
        var client = access.Raw();

        async Task<double> FailMs(string user)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=bollard");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", new AccessCreds(user, "wrong-" + Guid.NewGuid()).BasicHeader);
            var watch = Stopwatch.StartNew();
            using var response = await client.SendAsync(request);
            watch.Stop();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            return watch.Elapsed.TotalMilliseconds;
        }

        await FailMs("warm-up-user"); // JIT, connection
        var existing = new List<double>();
        var unknown = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            existing.Add(await FailMs(real.User));
            unknown.Add(await FailMs("no-such-user-" + i));
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        double e = Median(existing), u = Median(unknown);
        string report = $"existing: {string.Join(", ", existing.Select(x => x.ToString("F1")))} ms (median {e:F1}); unknown: {string.Join(", ", unknown.Select(x => x.ToString("F1")))} ms (median {u:F1})";
        Assert.True(e / u < 10 && u / e < 10, report);
    }
}
