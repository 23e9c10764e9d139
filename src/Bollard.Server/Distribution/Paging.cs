using System.Globalization;
using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary>The <c>n</c> and <c>last</c> query parameters of the catalog and tag lists.</summary>
internal static class Paging
{
    public static (int? N, string? Last) Read(HttpRequest request)
    {
        int? n = null;
        if (request.Query.TryGetValue("n", out var nValue) && !string.IsNullOrEmpty(nValue))
        {
            // Anything that is not a non-negative integer, or overflows int, is rejected; large values are capped later.
            if (!long.TryParse(nValue.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out long parsed))
                throw new OciException(OciErrors.PaginationNumberInvalid, $"n='{nValue}' is not a non-negative integer");
            n = (int)Math.Min(parsed, int.MaxValue);
        }
        string? last = request.Query.TryGetValue("last", out var l) && !string.IsNullOrEmpty(l) ? l.ToString() : null;
        return (n, last);
    }
}
