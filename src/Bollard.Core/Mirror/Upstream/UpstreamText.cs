namespace Bollard.Core.Mirror.Upstream;

/// <summary>Sizes and durations as the mirror's messages say them.</summary>
internal static class UpstreamText
{
    public static string Duration(TimeSpan t) =>
        t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMilliseconds:0} ms";
}
