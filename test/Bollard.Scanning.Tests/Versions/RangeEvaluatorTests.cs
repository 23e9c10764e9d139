using Bollard.Core.Scanning;
using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class RangeEvaluatorTests
{
    private static RangeEvent I(string v) => new(RangeEventKind.Introduced, v);
    private static RangeEvent F(string v) => new(RangeEventKind.Fixed, v);
    private static RangeEvent L(string v) => new(RangeEventKind.LastAffected, v);
    private static RangeEvent Lim(string v) => new(RangeEventKind.Limit, v);

    private static bool Affected(IReadOnlyList<RangeEvent> events, string version, IVersionScheme? scheme = null) =>
        RangeEvaluator.IsAffected(scheme ?? SemVerVersionScheme.Npm, events, version);

    [Theory]
    [InlineData("0.0.1", true)]
    [InlineData("1.0.0-rc.1", true)]
    [InlineData("1.0.0", false)]     // fixed is exclusive
    [InlineData("2.0.0", false)]
    public void IsAffected_introduced_zero_fixed(string version, bool expected) =>
        Assert.Equal(expected, Affected([I("0"), F("1.0.0")], version));

    [Theory]
    [InlineData("0.9.9", false)]
    [InlineData("1.0.0", true)]      // introduced is inclusive
    [InlineData("1.4.0", true)]      // last_affected is inclusive
    [InlineData("1.4.1", false)]
    public void IsAffected_introduced_last_affected(string version, bool expected) =>
        Assert.Equal(expected, Affected([I("1.0.0"), L("1.4.0")], version));

    [Theory]
    [InlineData("0.5.0", true)]
    [InlineData("1.0.0", false)]
    [InlineData("1.9.9", false)]
    [InlineData("2.0.0", true)]
    [InlineData("2.3.0", false)]
    [InlineData("3.1.0", true)]      // introduced with no fix: affected from there on
    public void IsAffected_several_pairs_in_one_range_any_order(string version, bool expected)
    {
        // OSV: events are evaluated sorted by version, whatever order the record lists them in.
        RangeEvent[] events = [F("2.3.0"), I("3.0.0"), I("0"), F("1.0.0"), I("2.0.0")];
        Assert.Equal(expected, Affected(events, version));
    }

    [Theory]
    [InlineData("1.5.0", true)]
    [InlineData("2.5.0", false)]     // at or above every limit: outside the range
    public void IsAffected_limit_bounds_the_range(string version, bool expected) =>
        Assert.Equal(expected, Affected([I("0"), Lim("2.0.0")], version));

    [Fact]
    public void IsAffected_limit_star_is_no_limit() => Assert.True(Affected([I("1.0.0"), Lim("*")], "9.0.0"));

    [Fact]
    public void IsAffected_introduced_alone_is_unfixed() => Assert.True(Affected([I("0")], "999.0.0"));

    [Fact]
    public void IsAffected_introduced_and_fixed_at_the_same_version_is_empty() =>
        Assert.False(Affected([I("1.0.0"), F("1.0.0")], "1.0.0"));

    [Fact]
    public void IsAffected_no_events_is_not_affected() => Assert.False(Affected([], "1.0.0"));

    [Fact]
    public void IsAffected_uses_the_ecosystem_order()
    {
        // Debian "fixed in 2.36-9+deb12u4": the tilde-backport and revisions order as dpkg does.
        RangeEvent[] events = [I("0"), F("2.36-9+deb12u4")];
        Assert.True(Affected(events, "2.36-9+deb12u3", DpkgVersionScheme.Instance));
        Assert.True(Affected(events, "2.36-9+deb12u4~1", DpkgVersionScheme.Instance));
        Assert.False(Affected(events, "2.36-9+deb12u10", DpkgVersionScheme.Instance));
        Assert.False(Affected(events, "1:2.0-1", DpkgVersionScheme.Instance));
    }

    [Fact]
    public void IsAffected_unparseable_version_throws_FormatException_and_TryIsAffected_says_why()
    {
        RangeEvent[] events = [I("0"), F("1.0.0")];
        Assert.Throws<FormatException>(() => Affected(events, "not-a-version"));
        Assert.False(RangeEvaluator.TryIsAffected(SemVerVersionScheme.Npm, events, "not-a-version", out bool affected, out string? error));
        Assert.False(affected);
        Assert.Contains("not-a-version", error, StringComparison.Ordinal);
    }

    [Fact]
    public void IsAffected_unparseable_event_throws_FormatException()
    {
        Assert.Throws<FormatException>(() => Affected([I("0"), F("1.0.x.y")], "0.5.0"));
        Assert.Throws<FormatException>(() => Affected([I("0"), Lim("bad limit")], "0.5.0"));
    }

    [Theory]
    [InlineData("1.25.11", true)]
    [InlineData("go1.25.11", true)]
    [InlineData("1.25.12", false)]
    [InlineData("1.26.0-rc.1", true)]   // introduced 1.26.0-0: every 1.26 pre-release
    [InlineData("go1.26rc1", true)]
    [InlineData("1.26.4", true)]
    [InlineData("1.26.5", false)]
    [InlineData("go1.27rc1", true)]
    [InlineData("1.27.0-rc.2", false)]
    [InlineData("1.27.0", false)]
    public void IsAffected_real_go_stdlib_advisory(string version, bool expected)
    {
        var ranges = OsvRanges.Read("go/GO-2026-5856.json", "stdlib");
        Assert.Equal(expected, ranges.Any(r => RangeEvaluator.IsAffected(GoVersionScheme.Instance, r, version)));
    }

    [Theory]
    [InlineData("github.com/mattermost/mattermost-server", "v10.10.9+incompatible", false)]
    [InlineData("github.com/mattermost/mattermost-server", "v10.11.0-rc1+incompatible", true)]
    [InlineData("github.com/mattermost/mattermost-server", "v10.11.10+incompatible", true)]
    [InlineData("github.com/mattermost/mattermost-server", "v10.11.11+incompatible", false)]
    [InlineData("github.com/mattermost/mattermost-server", "v11.1.0+incompatible", false)]
    [InlineData("github.com/mattermost/mattermost-server", "v11.3.1+incompatible", true)]
    [InlineData("github.com/mattermost/mattermost-server", "v11.4.1+incompatible", false)]
    [InlineData("github.com/mattermost/mattermost-server/v6", "v6.7.2", true)]
    // introduced at a pseudo-version: earlier commits are not affected, later commits and releases are.
    [InlineData("github.com/mattermost/mattermost/server/v8", "v8.0.0-20251201000000-0123456789ab", false)]
    [InlineData("github.com/mattermost/mattermost/server/v8", "v8.0.0-20260105080200-d27a2195068d", true)]
    [InlineData("github.com/mattermost/mattermost/server/v8", "v8.0.0-20260301000000-0123456789ab", true)]
    [InlineData("github.com/mattermost/mattermost/server/v8", "v8.1.0", true)]
    public void IsAffected_real_go_module_advisory_with_incompatible_and_pseudo_versions(string module, string version, bool expected)
    {
        var ranges = OsvRanges.Read("go/GO-2026-5629.json", module);
        Assert.Equal(expected, ranges.Any(r => RangeEvaluator.IsAffected(GoVersionScheme.Instance, r, version)));
    }

    [Fact]
    public void IsListed_matches_by_string_or_scheme_equality()
    {
        Assert.True(RangeEvaluator.IsListed(GoVersionScheme.Instance, ["v1.2.3", "v1.2.4"], "1.2.4"));
        Assert.True(RangeEvaluator.IsListed(GoVersionScheme.Instance, ["(devel)"], "(devel)"));
        Assert.False(RangeEvaluator.IsListed(GoVersionScheme.Instance, ["v1.2.3", "garbage"], "1.2.5"));
    }
}
