using Bollard.Core.Mirror;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Tests.Auth;

namespace Bollard.Core.Tests.Mirror;

public sealed class PrincipalFetchLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    private PrincipalFetchLimiter Limiter(int perMinute) => new(new MirrorOptions { FetchesPerMinutePerPrincipal = perMinute }, _time);

    [Fact]
    public void TryAcquire_BeyondTheAllowance_SaysHowLongToWait()
    {
        var limiter = Limiter(3);
        var alice = new RegistryActor("alice", "10.0.0.1");
        for (int i = 0; i < 3; i++) Assert.Null(limiter.TryAcquire(alice));
        var wait = limiter.TryAcquire(alice);
        Assert.NotNull(wait);
        Assert.InRange(wait.Value.TotalSeconds, 19.9, 20.1); // 3 per minute: one every 20 s
    }

    [Fact]
    public void TryAcquire_RefillsAtTheConfiguredRate()
    {
        var limiter = Limiter(60);
        var bob = new RegistryActor("bob", "");
        for (int i = 0; i < 60; i++) Assert.Null(limiter.TryAcquire(bob));
        Assert.NotNull(limiter.TryAcquire(bob));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(limiter.TryAcquire(bob));
        Assert.NotNull(limiter.TryAcquire(bob));
        _time.Advance(TimeSpan.FromMinutes(10)); // never more than a minute's worth saved up
        for (int i = 0; i < 60; i++) Assert.Null(limiter.TryAcquire(bob));
        Assert.NotNull(limiter.TryAcquire(bob));
    }

    [Fact]
    public void TryAcquire_PrincipalsAndAnonymousAddressesHaveTheirOwnBuckets()
    {
        var limiter = Limiter(1);
        Assert.Null(limiter.TryAcquire(new RegistryActor("alice", "10.0.0.1")));
        Assert.NotNull(limiter.TryAcquire(new RegistryActor("alice", "10.0.0.2"))); // same principal, other address
        Assert.Null(limiter.TryAcquire(new RegistryActor("", "10.0.0.1")));          // anonymous: by address
        Assert.NotNull(limiter.TryAcquire(new RegistryActor("", "10.0.0.1")));
        Assert.Null(limiter.TryAcquire(new RegistryActor("", "10.0.0.2")));
    }

    [Fact]
    public void TryAcquire_BollardsOwnFetchesAndZero_AreUnlimited()
    {
        var limiter = Limiter(1);
        for (int i = 0; i < 100; i++) Assert.Null(limiter.TryAcquire(RegistryActor.Unknown));
        var unlimited = Limiter(0);
        for (int i = 0; i < 100; i++) Assert.Null(unlimited.TryAcquire(new RegistryActor("alice", "")));
    }

    [Fact]
    public void TryAcquire_ManyAddresses_KeepsMemoryBounded()
    {
        var limiter = Limiter(10);
        for (int i = 0; i < PrincipalFetchLimiter.MaxTracked + 1000; i++)
            Assert.Null(limiter.TryAcquire(new RegistryActor("", $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")));
        Assert.True(limiter.Tracked <= PrincipalFetchLimiter.MaxTracked);
    }

    [Fact]
    public void EnsureAllowed_Refused_Is429WithRetryAfter()
    {
        var limiter = Limiter(1);
        var carol = new RegistryActor("carol", "");
        limiter.EnsureAllowed(carol);
        var e = Assert.Throws<OciException>(() => limiter.EnsureAllowed(carol));
        Assert.Equal(("TOOMANYREQUESTS", 429), (e.Error.Code, e.Error.HttpStatus));
        Assert.InRange(e.RetryAfter!.Value.TotalSeconds, 59, 61);
    }
}
