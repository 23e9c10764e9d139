namespace Bollard.Core.Health;

/// <summary>How long background parts wait before retrying after failures.</summary>
public static class RetryBackoff
{
    /// <summary><paramref name="first"/> doubled per consecutive failure (1 for the first), at most <paramref name="max"/>.</summary>
    public static TimeSpan Exponential(TimeSpan first, TimeSpan max, int failures) =>
        TimeSpan.FromTicks((long)Math.Min(max.Ticks, first.Ticks * Math.Pow(2, Math.Clamp(failures - 1, 0, 40))));
}
