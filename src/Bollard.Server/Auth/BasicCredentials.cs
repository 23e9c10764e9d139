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

    public static string? Bearer(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
