namespace Bollard.Core.Registry;

/// <summary>One page of a lexically ordered list; <see cref="HasMore"/> says whether a <c>Link</c> to the next page is due.</summary>
public sealed record Page(IReadOnlyList<string> Items, bool HasMore)
{
    /// <summary>
    /// Where the next page starts (its <c>last=</c>): the last item, unless the listing stopped early at a bound on
    /// the work of one request (the catalog's scan budget), in which case it is the last name examined.
    /// </summary>
    public string? Last => Cursor ?? (Items.Count > 0 ? Items[^1] : null);

    /// <summary>The cursor when it is not the last item; null otherwise.</summary>
    public string? Cursor { get; init; }

    /// <summary>The page size asked for (<c>n=</c> of the next page's link), even when this page holds fewer.</summary>
    public int Limit { get; init; }
}
