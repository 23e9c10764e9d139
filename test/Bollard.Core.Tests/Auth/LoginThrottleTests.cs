using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

/// <summary>
/// The throttle counts per account and address, per address, and per account overall (issue 6, B4: these tests
/// replaced the ones of a per-account limit that refused the right password from everywhere, and of
/// case-insensitive account keys, which let failures for <c>BOB</c> lock out <c>bob</c>).
/// </summary>
public sealed class LoginThrottleTests
{
    private readonly FakeTimeProvider _time = new();

    private LoginThrottle Throttle(int perAccount = 3, int perAddress = 5, int windowMinutes = 5) =>
        new(new AuthOptions { MaxFailuresPerAccount = perAccount, MaxFailuresPerAddress = perAddress, FailureWindow = TimeSpan.FromMinutes(windowMinutes), SlowLoginDelay = TimeSpan.Zero }, _time);

    [Fact]
    public void UnderTheLimit_Allowed()
    {
        var t = Throttle();
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
        t.RecordFailure("alice", "10.0.0.1");
        t.RecordFailure("alice", "10.0.0.1");
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public void AccountAndAddressLimit_RefusesThatAddress_UntilTheOldestFailureLeavesTheWindow()
    {
        var t = Throttle();
        t.RecordFailure("alice", "10.0.0.1");
        _time.Advance(TimeSpan.FromMinutes(1));
        t.RecordFailure("alice", "10.0.0.1");
        _time.Advance(TimeSpan.FromMinutes(1));
        t.RecordFailure("alice", "10.0.0.1");

        Assert.Equal(TimeSpan.FromMinutes(3), t.RetryAfter("alice", "10.0.0.1"));
        _time.Advance(TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), t.RetryAfter("alice", "10.0.0.1"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
        t.RecordFailure("alice", "10.0.0.1");
        Assert.Equal(TimeSpan.FromMinutes(1), t.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public void AStranger_CannotLockTheAccountOut_ForAnAddressThatNeverFailed()
    {
        var t = Throttle(perAccount: 3, perAddress: 1000);
        // Many failures for alice from many addresses (and from one, up to its limit).
        for (int i = 0; i < 3; i++) t.RecordFailure("alice", "203.0.113.66");
        for (int i = 0; i < 100; i++) t.RecordFailure("alice", $"198.51.100.{i}");

        Assert.NotNull(t.RetryAfter("alice", "203.0.113.66"));
        // alice's own address: neither refused nor slowed.
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
        Assert.False(t.MustSlowDown("alice", "10.0.0.1"));
        // The addresses that failed are slowed (the account's overall count is over the limit), not refused.
        Assert.Null(t.RetryAfter("alice", "198.51.100.7"));
        Assert.True(t.MustSlowDown("alice", "198.51.100.7"));
        // Another account is not slowed.
        t.RecordFailure("bob", "198.51.100.7");
        Assert.False(t.MustSlowDown("bob", "198.51.100.7"));
    }

    [Fact]
    public void AccountNames_AreComparedExactly_AsTheIdentityStoreDoes()
    {
        var t = Throttle(perAccount: 3, perAddress: 100);
        for (int i = 0; i < 3; i++) t.RecordFailure("BOB", "10.0.0.1");
        Assert.NotNull(t.RetryAfter("BOB", "10.0.0.1"));
        Assert.Null(t.RetryAfter("bob", "10.0.0.1"));
        for (int i = 0; i < 10; i++) t.RecordFailure("BOB", $"10.0.1.{i}");
        Assert.False(t.MustSlowDown("bob", "10.0.0.1"));
    }

    [Fact]
    public void AddressLimit_CoversEveryAccount()
    {
        var t = Throttle(perAccount: 100, perAddress: 5);
        for (int i = 0; i < 5; i++) t.RecordFailure($"user{i}", "192.0.2.7");
        var wait = t.RetryAfter("somebody-new", "192.0.2.7");
        Assert.Equal(TimeSpan.FromMinutes(5), wait);
        Assert.Null(t.RetryAfter("somebody-new", "192.0.2.8"));
    }

    [Fact]
    public void IPv6_IsCountedPerSlash64()
    {
        var t = Throttle(perAccount: 100, perAddress: 5);
        for (int i = 0; i < 5; i++) t.RecordFailure($"user{i}", $"2001:db8:1:2::{i + 1:x}");
        Assert.NotNull(t.RetryAfter("someone", "2001:db8:1:2:ffff::1"));
        Assert.Null(t.RetryAfter("someone", "2001:db8:1:3::1"));
    }

    [Fact]
    public void FailuresExpire_AfterTheWindow()
    {
        var t = Throttle();
        for (int i = 0; i < 3; i++) t.RecordFailure("alice", "10.0.0.1");
        Assert.NotNull(t.RetryAfter("alice", "10.0.0.1"));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
        t.RecordFailure("alice", "10.0.0.1");
        t.RecordFailure("alice", "10.0.0.1");
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public void AccountAndAddressKeys_DoNotCollide()
    {
        var t = Throttle(perAccount: 2, perAddress: 100);
        t.RecordFailure("10.0.0.1", "10.0.0.2");
        t.RecordFailure("10.0.0.1", "10.0.0.2");
        Assert.NotNull(t.RetryAfter("10.0.0.1", "10.0.0.2"));
        Assert.Null(t.RetryAfter("someone", "10.0.0.1"));
    }

    [Fact]
    public void ConcurrentFailures_AreAllCounted()
    {
        var t = Throttle(perAccount: 1000, perAddress: 1000);
        Parallel.For(0, 999, _ => t.RecordFailure("alice", "10.0.0.1"));
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
        t.RecordFailure("alice", "10.0.0.1");
        Assert.NotNull(t.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public async Task SlowedAttempts_GoOneAtATime_AndTooManyWaitingAreRefused()
    {
        var t = Throttle();
        var first = await t.SlowDownAsync("alice", CancellationToken.None);
        var second = t.SlowDownAsync("alice", CancellationToken.None);
        Assert.False(second.IsCompleted); // waits for the first
        var waiting = Enumerable.Range(0, LoginThrottle.MaxSlowedPerAccount - 2).Select(_ => t.SlowDownAsync("alice", CancellationToken.None)).ToList();
        var refused = await Assert.ThrowsAsync<AuthException>(() => t.SlowDownAsync("alice", CancellationToken.None));
        Assert.Equal(AuthFailure.Throttled, refused.Failure);
        // Other accounts are not behind alice's queue.
        (await t.SlowDownAsync("bob", CancellationToken.None)).Dispose();
        first.Dispose();
        (await second).Dispose();
        foreach (var w in waiting) (await w).Dispose();
    }
}
