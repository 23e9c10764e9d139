using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

public sealed class LoginThrottleTests
{
    private readonly FakeTimeProvider _time = new();

    private LoginThrottle Throttle(int perAccount = 3, int perAddress = 5, int windowMinutes = 5) =>
        new(new AuthOptions { MaxFailuresPerAccount = perAccount, MaxFailuresPerAddress = perAddress, FailureWindow = TimeSpan.FromMinutes(windowMinutes) }, _time);

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
    public void AccountLimit_RefusesUntilTheOldestFailureLeavesTheWindow()
    {
        var t = Throttle();
        t.RecordFailure("alice", "10.0.0.1");
        _time.Advance(TimeSpan.FromMinutes(1));
        t.RecordFailure("alice", "10.0.0.2");
        _time.Advance(TimeSpan.FromMinutes(1));
        t.RecordFailure("alice", "10.0.0.3");

        // Three failures within five minutes: refused from every address, for as long as the first one counts.
        Assert.Equal(TimeSpan.FromMinutes(3), t.RetryAfter("alice", "10.0.0.9"));
        _time.Advance(TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), t.RetryAfter("alice", "10.0.0.9"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(t.RetryAfter("alice", "10.0.0.9"));
        // The next failure fills the window again; the wait is until the (new) oldest leaves.
        t.RecordFailure("alice", "10.0.0.1");
        Assert.Equal(TimeSpan.FromMinutes(1), t.RetryAfter("alice", "10.0.0.9"));
    }

    [Fact]
    public void AccountLimit_IsCaseInsensitive_AndPerAccount()
    {
        var t = Throttle();
        t.RecordFailure("Alice", "10.0.0.1");
        t.RecordFailure("ALICE", "10.0.0.2");
        t.RecordFailure("alice", "10.0.0.3");
        Assert.NotNull(t.RetryAfter("alice", "10.0.0.4"));
        Assert.NotNull(t.RetryAfter("aLiCe", "10.0.0.4"));
        Assert.Null(t.RetryAfter("bob", "10.0.0.4"));
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
    public void Success_ClearsTheAccount_NotTheAddress()
    {
        var t = Throttle(perAccount: 3, perAddress: 4);
        t.RecordFailure("alice", "192.0.2.1");
        t.RecordFailure("alice", "192.0.2.1");
        t.RecordSuccess("ALICE");
        t.RecordFailure("alice", "192.0.2.1");
        t.RecordFailure("alice", "192.0.2.2");
        Assert.Null(t.RetryAfter("alice", "192.0.2.3"));
        // The address kept its three failures; one more and it is refused for any account.
        t.RecordFailure("bob", "192.0.2.1");
        Assert.NotNull(t.RetryAfter("carol", "192.0.2.1"));
    }

    [Fact]
    public void BothLimits_TheLongerWaitWins()
    {
        var t = Throttle(perAccount: 2, perAddress: 2);
        t.RecordFailure("alice", "a1");
        _time.Advance(TimeSpan.FromMinutes(1));
        t.RecordFailure("alice", "a2"); // alice full until minute 5
        _time.Advance(TimeSpan.FromMinutes(1));
        t.RecordFailure("bob", "a3");
        t.RecordFailure("carol", "a3"); // a3 full until minute 7
        Assert.Equal(TimeSpan.FromMinutes(3), t.RetryAfter("alice", "a9"));
        Assert.Equal(TimeSpan.FromMinutes(5), t.RetryAfter("dave", "a3"));
        Assert.Equal(TimeSpan.FromMinutes(5), t.RetryAfter("alice", "a3"));
    }

    [Fact]
    public void FailuresExpire_AfterTheWindow()
    {
        var t = Throttle();
        for (int i = 0; i < 3; i++) t.RecordFailure("alice", "10.0.0.1");
        Assert.NotNull(t.RetryAfter("alice", "10.0.0.1"));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
        // Old failures do not count towards a new burst.
        t.RecordFailure("alice", "10.0.0.1");
        t.RecordFailure("alice", "10.0.0.1");
        Assert.Null(t.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public void AccountAndAddressKeys_DoNotCollide()
    {
        // An account named like an address must not share its counter.
        var t = Throttle(perAccount: 2, perAddress: 100);
        t.RecordFailure("10.0.0.1", "10.0.0.2");
        t.RecordFailure("10.0.0.1", "10.0.0.3");
        Assert.NotNull(t.RetryAfter("10.0.0.1", "x"));
        Assert.Null(t.RetryAfter("someone", "10.0.0.1"));
    }

    [Fact]
    public void ConcurrentFailures_AreAllCounted()
    {
        var t = Throttle(perAccount: 1000, perAddress: 1000);
        Parallel.For(0, 999, _ => t.RecordFailure("alice", "10.0.0.1"));
        Assert.Null(t.RetryAfter("alice", "10.0.0.2"));
        t.RecordFailure("alice", "10.0.0.1");
        Assert.NotNull(t.RetryAfter("alice", "10.0.0.2"));
    }
}
