using System.Runtime.CompilerServices;
using System.Text;

namespace Bollard.Scanning.Analyzers.Languages;

/// <summary>
/// The lines of a text lock file (yarn.lock, pnpm-lock.yaml), read forward-only. A line longer than
/// <see cref="MaxLineChars"/> is cut there (the rest of it skipped), so one endless line costs bounded memory; the file as
/// a whole is bounded by <c>ScanLimits.MaxAnalyzedFileBytes</c> upstream.
/// </summary>
internal static class LockLines
{
    public const int MaxLineChars = 64 * 1024;

    public static async IAsyncEnumerable<string> ReadAsync(Stream content, Action onCut, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024, leaveOpen: true);
        var line = new StringBuilder();
        var buffer = new char[8 * 1024];
        bool cut = false;
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                char c = buffer[i];
                if (c == '\n')
                {
                    yield return line.ToString().TrimEnd('\r');
                    line.Clear();
                    cut = false;
                }
                else if (line.Length < MaxLineChars)
                {
                    line.Append(c);
                }
                else if (!cut)
                {
                    cut = true;
                    onCut();
                }
            }
        }

        if (line.Length > 0)
        {
            yield return line.ToString().TrimEnd('\r');
        }
    }

    /// <summary>Leading spaces of a line.</summary>
    public static int Indent(string line)
    {
        int i = 0;
        while (i < line.Length && line[i] == ' ')
        {
            i++;
        }

        return i;
    }

    /// <summary>A YAML or yarn-v1 scalar without its quotes.</summary>
    public static string Unquote(string s)
    {
        s = s.Trim();
        return s.Length >= 2 && (s[0] == '"' || s[0] == '\'') && s[^1] == s[0] ? s[1..^1] : s;
    }
}
