namespace Bollard.Core.Registry;

/// <summary>One page of a lexically ordered list; <see cref="HasMore"/> says whether a <c>Link</c> to the next page is due.</summary>
public sealed record Page(IReadOnlyList<string> Items, bool HasMore)
{
    public string? Last => Items.Count > 0 ? Items[^1] : null;
}
