namespace Bollard.Scanning.Analyzers.Languages;

/// <summary>Allocation-free path tests for <c>IFileAnalyzer.Wants</c>.</summary>
internal static class PathMatch
{
    public static bool EndsWith(string path, string suffix) => path.EndsWith(suffix, StringComparison.Ordinal);

    public static bool Contains(string path, string part) => path.Contains(part, StringComparison.Ordinal);

    /// <summary>The last path segment.</summary>
    public static ReadOnlySpan<char> FileName(string path) => path.AsSpan(path.LastIndexOf('/') + 1);
}
