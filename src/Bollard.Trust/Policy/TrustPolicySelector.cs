namespace Bollard.Trust.Policy;

/// <summary>
/// Picks the one policy that applies to a repository: among the policies whose namespace pattern matches, the most
/// specific wins. Specificity, compared in this order:
/// <list type="number">
/// <item>a pattern with no wildcard (one exact repository) beats every pattern with one;</item>
/// <item>more leading literal components (<c>prod/team/**</c> beats <c>prod/**</c>);</item>
/// <item>more literal characters in all (<c>prod/web-*</c> beats <c>prod/*</c>);</item>
/// <item>fewer <c>**</c> components (<c>prod/*</c> beats <c>prod/**</c>);</item>
/// <item>ties: the policy whose name sorts first (ordinal) wins, so the choice never depends on storage order.</item>
/// </list>
/// A more specific policy replaces a broader one entirely (also when it is <c>off</c>): creating one must need the
/// rights to change the broader policy it shadows (the policy API checks that).
/// </summary>
public static class TrustPolicySelector
{
    /// <returns>null when no policy matches.</returns>
    public static VersionedTrustPolicy? Select(IEnumerable<VersionedTrustPolicy> policies, string repository)
    {
        ArgumentNullException.ThrowIfNull(policies);
        VersionedTrustPolicy? best = null;
        foreach (var candidate in policies)
        {
            if (!candidate.Policy.Namespace.Matches(repository)) continue;
            if (best is null || Compare(candidate.Policy, best.Policy) > 0) best = candidate;
        }
        return best;
    }

    /// <summary>Positive when <paramref name="a"/> is more specific than <paramref name="b"/> (or wins their tie).</summary>
    public static int Compare(TrustPolicy a, TrustPolicy b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var (sa, sb) = (Specificity.Of(a.Namespace.Value), Specificity.Of(b.Namespace.Value));
        int c = sa.Exact.CompareTo(sb.Exact);
        if (c == 0) c = sa.LeadingLiterals.CompareTo(sb.LeadingLiterals);
        if (c == 0) c = sa.LiteralChars.CompareTo(sb.LiteralChars);
        if (c == 0) c = sb.DoubleStars.CompareTo(sa.DoubleStars);
        if (c == 0) c = string.CompareOrdinal(b.Name, a.Name);
        return c;
    }

    private readonly record struct Specificity(bool Exact, int LeadingLiterals, int LiteralChars, int DoubleStars)
    {
        public static Specificity Of(string pattern)
        {
            var components = pattern.Split('/');
            int leading = components.TakeWhile(c => !c.Contains('*', StringComparison.Ordinal)).Count();
            return new Specificity(
                leading == components.Length,
                leading,
                pattern.Count(ch => ch is not ('*' or '/')),
                components.Count(c => c == "**"));
        }
    }
}
