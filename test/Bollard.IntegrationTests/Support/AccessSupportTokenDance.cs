using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.Support;

/// <summary>
/// The Docker token dance as a client does it: send the request; on 401 with a <c>Bearer</c> challenge, ask the
/// challenge's realm for a token (Basic credentials, or none for an anonymous client) for the challenged scope,
/// plus <c>repository:FROM:pull</c> for a cross-repository mount (docker and containers/image ask for it), then
/// retry once with the token. When the token endpoint refuses (401, 429), its answer is returned instead.
/// Request bodies must be re-sendable (<see cref="ByteArrayContent"/>).
/// </summary>
public sealed partial class AccessTokenDanceHandler(AccessCreds? creds) : DelegatingHandler
{
    [GeneratedRegex("(\\w+)=\"([^\"]*)\"")]
    private static partial Regex ChallengeParameter();

    /// <summary>The parameters of the last Bearer challenge seen (realm, service, scope, error).</summary>
    public IReadOnlyDictionary<string, string>? LastChallenge { get; private set; }

    public static Dictionary<string, string>? ParseBearer(HttpResponseMessage response)
    {
        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        if (challenge?.Parameter is null) return null;
        return ChallengeParameter().Matches(challenge.Parameter).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || ParseBearer(response) is not { } challenge || !challenge.TryGetValue("realm", out var realm))
            return response;
        LastChallenge = challenge;

        var query = new List<string>();
        if (challenge.TryGetValue("service", out var service)) query.Add("service=" + Uri.EscapeDataString(service));
        if (challenge.TryGetValue("scope", out var scope)) query.Add("scope=" + Uri.EscapeDataString(scope));
        string? from = request.RequestUri is { } uri ? QueryValue(uri, "from") : null;
        if (from is not null) query.Add("scope=" + Uri.EscapeDataString($"repository:{from}:pull"));
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, realm + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
        if (creds is not null) tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", creds.BasicHeader);
        var tokenResponse = await base.SendAsync(tokenRequest, cancellationToken).ConfigureAwait(false);
        if (tokenResponse.StatusCode != HttpStatusCode.OK)
        {
            response.Dispose();
            return tokenResponse;
        }
        string token = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!["token"]!.GetValue<string>();
        tokenResponse.Dispose();
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static string? QueryValue(Uri uri, string name)
    {
        string q = uri.IsAbsoluteUri ? uri.Query : (uri.OriginalString.Contains('?') ? uri.OriginalString[uri.OriginalString.IndexOf('?')..] : "");
        foreach (var part in q.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq > 0 && part[..eq] == name) return Uri.UnescapeDataString(part[(eq + 1)..]);
        }
        return null;
    }
}
