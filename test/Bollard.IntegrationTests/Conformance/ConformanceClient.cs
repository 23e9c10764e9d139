using System.Net.Http.Headers;
using System.Text.Json;

namespace Bollard.IntegrationTests.Conformance;

/// <summary>
/// The slice of <c>github.com/bloodorangeio/reggie</c> that the conformance suite uses, over raw HTTP:
/// <c>&lt;name&gt;</c>/<c>&lt;reference&gt;</c>/<c>&lt;digest&gt;</c> path templates, query parameters appended to a
/// target that may already carry a query (as resty does), and Go's header semantics (a <c>Content-Length</c>
/// header is ignored; the body decides it). No default Accept header is sent, as reggie sends none.
/// <para>
/// Body framing: reggie's <c>SetBody</c> hands resty an <c>ioutil.NopCloser(bytes.NewReader(body))</c>, whose
/// length net/http cannot see, so the real suite sends every non-empty body with
/// <c>Transfer-Encoding: chunked</c> and no Content-Length. <paramref name="chunkedBodies"/> true does the
/// same; false sends Content-Length, as most other clients do.
/// </para>
/// </summary>
internal sealed class ConformanceClient(HttpClient http, string defaultName, bool chunkedBodies = true)
{
    public string DefaultName => defaultName;
    public Uri BaseAddress => http.BaseAddress!;

    public ConformanceRequest NewRequest(HttpMethod method, string path, string? name = null, string? reference = null, string? digest = null)
    {
        path = path.Replace("<name>", name ?? defaultName, StringComparison.Ordinal);
        if (reference is not null) path = path.Replace("<reference>", reference, StringComparison.Ordinal);
        if (digest is not null) path = path.Replace("<digest>", digest, StringComparison.Ordinal);
        return new ConformanceRequest(method, path, chunkedBodies);
    }

    public async Task<ConformanceResponse> DoAsync(ConformanceRequest request)
    {
        using var message = request.Build();
        using var response = await http.SendAsync(message);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, values) in response.Headers.NonValidated) headers.TryAdd(key, values.First());
        foreach (var (key, values) in response.Content.Headers.NonValidated) headers.TryAdd(key, values.First());
        return new ConformanceResponse(request, (int)response.StatusCode, headers, body, http.BaseAddress!);
    }
}

internal sealed class ConformanceRequest(HttpMethod method, string target, bool chunkedBodies)
{
    private readonly List<(string Key, string Value)> _query = [];
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);
    private byte[]? _body;

    public HttpMethod Method => method;
    public string Target => target;

    public ConformanceRequest SetHeader(string key, string value)
    {
        _headers[key] = value;
        return this;
    }

    public ConformanceRequest SetQueryParam(string key, string value)
    {
        _query.RemoveAll(q => q.Key == key);
        _query.Add((key, value));
        return this;
    }

    public ConformanceRequest SetBody(byte[] body)
    {
        _body = body;
        return this;
    }

    internal HttpRequestMessage Build()
    {
        string url = target;
        if (_query.Count > 0)
        {
            string encoded = string.Join('&', _query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));
            url += (url.Contains('?') ? "&" : "?") + encoded;
        }
        var message = new HttpRequestMessage(method, url);
        message.Headers.UserAgent.ParseAdd("distribution-spec-conformance-tests");
        // Go sends an empty body with Content-Length: 0 for PUT/POST/PATCH; .NET does the same without content,
        // but needs content to carry a Content-Type.
        bool hasContentType = _headers.ContainsKey("Content-Type");
        if (_body is { Length: > 0 } && chunkedBodies)
            message.Content = new UnknownLengthContent(_body);
        else if (_body is not null || hasContentType)
            message.Content = new ByteArrayContent(_body ?? []);
        foreach (var (key, value) in _headers)
        {
            if (key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue; // net/http drops it too
            if (key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                message.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            else if (key.Equals("Content-Range", StringComparison.OrdinalIgnoreCase))
                (message.Content ??= new ByteArrayContent([])).Headers.TryAddWithoutValidation(key, value);
            else
                message.Headers.TryAddWithoutValidation(key, value);
        }
        return message;
    }

    /// <summary>A body whose length is not announced, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthContent(byte[] data) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(data).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

internal sealed record ConformanceError(string? Code, string? Message);

internal sealed class ConformanceResponse(ConformanceRequest request, int statusCode, Dictionary<string, string> headers, byte[] body, Uri baseAddress)
{
    public ConformanceRequest Request => request;
    public int StatusCode => statusCode;
    public byte[] Body => body;

    /// <summary>Go's <c>Header().Get</c>: the first value, or "" when absent.</summary>
    public string Header(string key) => headers.TryGetValue(key, out var v) ? v : "";

    /// <summary>reggie <c>GetRelativeLocation</c>: path and query of the Location header.</summary>
    public string GetRelativeLocation()
    {
        string location = Header("Location");
        if (location.Length == 0) return "";
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return location;
        return uri.PathAndQuery;
    }

    /// <summary>reggie <c>GetAbsoluteLocation</c>: the Location header as sent, when it parses as a URL.</summary>
    public string GetAbsoluteLocation()
    {
        string location = Header("Location");
        return Uri.TryCreate(baseAddress, location, out _) ? location : "";
    }

    /// <summary>reggie <c>Errors</c>: the <c>errors</c> array of a distribution-spec error body.</summary>
    public IReadOnlyList<ConformanceError> Errors()
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("errors").EnumerateArray()
            .Select(e => new ConformanceError(
                e.TryGetProperty("code", out var c) ? c.GetString() : null,
                e.TryGetProperty("message", out var m) ? m.GetString() : null))
            .ToList();
    }

    public override string ToString() =>
        $"{request.Method} {request.Target} -> {statusCode} {System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))}";
}
