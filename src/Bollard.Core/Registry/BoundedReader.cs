using Bollard.Core.Oci;

namespace Bollard.Core.Registry;

/// <summary>Reads a small body (a manifest) whole, refusing to buffer more than a limit.</summary>
public static class BoundedReader
{
    /// <exception cref="OciException">413 <c>SIZE_INVALID</c> when the body is larger than <paramref name="limit"/>.</exception>
    public static async Task<byte[]> ReadAsync(Stream body, long? declaredLength, int limit, CancellationToken ct)
    {
        if (declaredLength > limit)
            throw new OciException(OciErrors.ManifestTooLarge, $"{declaredLength} bytes is over the limit of {limit} bytes");
        var buffer = new MemoryStream(declaredLength is > 0 ? (int)declaredLength.Value : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new OciException(OciErrors.ManifestTooLarge, $"body is over the limit of {limit} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
