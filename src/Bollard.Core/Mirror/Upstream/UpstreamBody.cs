namespace Bollard.Core.Mirror.Upstream;

/// <summary>Bounded reads of upstream bodies that must be held in memory (manifests, tag lists, tokens, errors).</summary>
public static class UpstreamBody
{
    /// <summary>
    /// Reads <paramref name="content"/> to its end, asking it for at most <paramref name="max"/> + 1 bytes in all: one byte
    /// past the limit proves the body too large without reading on (an upstream streaming forever costs limit + 1 bytes).
    /// </summary>
    /// <exception cref="UpstreamException"><see cref="UpstreamFailure.Invalid"/> "over N bytes" when it is larger.</exception>
    public static async Task<byte[]> ReadAtMostAsync(Stream content, int max, string what, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[(int)Math.Min(64 * 1024, (long)max + 1)];
        long total = 0;
        while (true)
        {
            int want = (int)Math.Min(chunk.Length, (long)max + 1 - total);
            int n = await content.ReadAsync(chunk.AsMemory(0, want), ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
            if (total > max) throw TooLarge(what, max);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    public static UpstreamException TooLarge(string what, long max) => new(UpstreamFailure.Invalid, $"{what} is over {max} bytes");
}
