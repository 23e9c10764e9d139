using System.Text;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages;

/// <summary>Reads a small text file (metadata, gemspec, manifest) as lines, never more than a fixed number of bytes.</summary>
internal static class BoundedText
{
    /// <summary>Metadata files are kilobytes; a long README inside METADATA stays far below this.</summary>
    public const int MaxBytes = 4 << 20;

    /// <returns>The text, cut at <paramref name="maxBytes"/> (<paramref name="truncated"/> says so).</returns>
    public static async ValueTask<(string Text, bool Truncated)> ReadAsync(Stream content, int maxBytes, CancellationToken ct)
    {
        var buffer = new byte[Math.Min(maxBytes, 81920)];
        using var ms = new MemoryStream();
        int read;
        while (ms.Length < maxBytes && (read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, maxBytes - ms.Length)), ct).ConfigureAwait(false)) > 0)
        {
            ms.Write(buffer, 0, read);
        }

        bool truncated = ms.Length >= maxBytes && content.ReadByte() >= 0;
        return (Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length), truncated);
    }

    public static ValueTask<(string Text, bool Truncated)> ReadAsync(AnalyzedFile file, CancellationToken ct) =>
        ReadAsync(file.Content, MaxBytes, ct);
}
