using System.Diagnostics.CodeAnalysis;
using Bollard.Core.Oci;

namespace Bollard.Core.Client;

/// <summary>
/// An image in a registry as clients name it: <c>docker://HOST/NAME:TAG</c>, <c>docker://HOST/NAME@sha256:…</c> (the
/// <c>docker://</c> prefix optional). No default registry: the host is always the first path segment.
/// </summary>
/// <param name="Host">The registry host (with port), e.g. <c>registry.example.com:5000</c>.</param>
/// <param name="Repository">The repository, e.g. <c>team/app</c>.</param>
/// <param name="Tag">The tag, when named by tag (<c>latest</c> when neither a tag nor a digest is given).</param>
/// <param name="Digest">The digest, when named by digest.</param>
public sealed record ImageReference(string Host, string Repository, string? Tag, Digest? Digest)
{
    /// <summary>The tag or the digest, as the registry API takes it (the digest wins when both are given).</summary>
    public string Reference => Digest?.ToString() ?? Tag ?? "latest";

    /// <summary>The name without tag or digest, as cosign's <c>docker-reference</c> names it: <c>HOST/NAME</c>.</summary>
    public string Name => $"{Host}/{Repository}";

    public override string ToString() => Digest is { } d ? $"{Name}@{d}" : $"{Name}:{Tag}";

    /// <summary>The same image by digest.</summary>
    public ImageReference WithDigest(Digest digest) => this with { Digest = digest };

    /// <exception cref="FormatException">Not an image reference (the message says why).</exception>
    public static ImageReference Parse(string text) =>
        TryParse(text, out var image, out string? problem) ? image : throw new FormatException(problem);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? image, [NotNullWhen(false)] out string? problem)
    {
        image = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "no image given (docker://HOST/NAME:TAG)";
            return false;
        }
        string rest = text.StartsWith("docker://", StringComparison.Ordinal) ? text["docker://".Length..] : text;
        if (rest.Contains("://", StringComparison.Ordinal))
        {
            problem = $"'{text}' is not a registry image (give docker://HOST/NAME:TAG)";
            return false;
        }
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            problem = $"'{text}': give the registry host and the name, docker://HOST/NAME:TAG";
            return false;
        }
        string host = rest[..slash];
        if (!IsHost(host))
        {
            problem = $"'{text}' is not a registry image: '{host}' is not a registry host (give docker://HOST[:PORT]/NAME:TAG)";
            return false;
        }
        string path = rest[(slash + 1)..];
        string repository;
        string? tag = null;
        Digest? digest = null;
        int at = path.IndexOf('@', StringComparison.Ordinal);
        string named = at >= 0 ? path[..at] : path;
        if (at >= 0)
        {
            if (!Oci.Digest.TryParse(path[(at + 1)..], out var d, out string? bad))
            {
                problem = $"'{text}': {bad}";
                return false;
            }
            digest = d;
        }
        int colon = named.LastIndexOf(':');
        if (colon > named.LastIndexOf('/'))
        {
            (repository, tag) = (named[..colon], named[(colon + 1)..]);
            if (!Oci.Tag.IsValid(tag))
            {
                problem = $"'{text}': '{tag}' is not a valid tag";
                return false;
            }
        }
        else
        {
            repository = named;
            if (digest is null) tag = "latest";
        }
        if (!RepositoryName.TryParse(repository, out _))
        {
            problem = $"'{text}': '{repository}' is not a valid repository name";
            return false;
        }
        image = new ImageReference(host, repository, tag, digest);
        problem = null;
        return true;
    }

    /// <summary>A DNS name or IPv4 address with an optional port, or a bracketed IPv6 address with an optional port.</summary>
    private static bool IsHost(string host)
    {
        string name = host;
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 2) return false;
            name = host[1..close];
            if (!System.Net.IPAddress.TryParse(name, out _)) return false;
            string after = host[(close + 1)..];
            return after.Length == 0 || (after[0] == ':' && IsPort(after[1..]));
        }
        int colon = host.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!IsPort(host[(colon + 1)..])) return false;
            name = host[..colon];
        }
        return name.Length is > 0 and <= 253 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-');
    }

    private static bool IsPort(string text) => text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit);
}
