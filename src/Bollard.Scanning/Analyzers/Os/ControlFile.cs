namespace Bollard.Scanning.Analyzers.Os;

/// <summary>
/// Debian control-file syntax (deb-control(5), as <c>/var/lib/dpkg/status</c> uses it): stanzas separated by blank
/// lines, <c>Field: value</c> lines, continuation lines starting with a space or tab. A stanza with a line that is
/// neither is broken: it is returned with <see cref="Stanza.Error"/> set, so the caller skips it with a warning and
/// the next stanza is read as usual.
/// </summary>
internal static class ControlFile
{
    internal sealed record Stanza(int Line, Dictionary<string, string> Fields, string? Error);

    public static async IAsyncEnumerable<Stanza> ReadAsync(TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? error = null;
        string? last = null;
        int lineNo = 0;
        int start = 1;
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            lineNo++;
            if (line.Trim().Length == 0)
            {
                if (fields.Count > 0 || error is not null)
                {
                    yield return new Stanza(start, fields, error);
                }

                fields = new(StringComparer.OrdinalIgnoreCase);
                error = null;
                last = null;
                start = lineNo + 1;
                continue;
            }

            if (line[0] is ' ' or '\t')
            {
                if (last is null)
                {
                    error ??= $"line {lineNo}: continuation line without a field";
                }
                else
                {
                    fields[last] += "\n" + line.Trim();
                }

                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error ??= $"line {lineNo}: not a 'Field: value' line";
                last = null;
                continue;
            }

            last = line[..colon].Trim();
            fields[last] = line[(colon + 1)..].Trim();
        }

        if (fields.Count > 0 || error is not null)
        {
            yield return new Stanza(start, fields, error);
        }
    }
}
