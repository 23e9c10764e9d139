using System.Text;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Auth;

/// <summary>Reads RFC 7617 Basic credentials from the Authorization header.</summary>
public static class BasicCredentials
{
    public static bool TryRead(HttpRequest request, out string username, out string password)
    {
        username = password = "";
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 8192) return false;
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())); }
        catch (FormatException) { return false; }
        int colon = decoded.IndexOf(':');
        if (colon <= 0) return false;
        username = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }

    /// <summary>The token of a <c>Bearer</c> Authorization header, as a slice of the header value.</summary>
    public static bool BearerSpan(HttpRequest request, out ReadOnlyMemory<char> token)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) { token = default; return false; }
        token = header.AsMemory(7).Trim();
        return true;
    }
}
