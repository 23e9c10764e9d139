using System.Diagnostics.CodeAnalysis;
using Bollard.Core.Oci;

namespace Bollard.Trust.Admission;

/// <summary>
/// A container image reference as Kubernetes passes it to the container runtime, read with the Docker reference
/// grammar (distribution/reference <c>normalize.go</c>): <c>[HOST[:PORT]/]PATH[:TAG][@DIGEST]</c>. The first path
/// component is a host only when it has a dot or a colon or is <c>localhost</c>; with no host the image is Docker Hub's
/// (<c>docker.io</c>, one-component paths under <c>library/</c>). Neither tag nor digest means <c>latest</c>.
/// </summary>
public sealed record ImageReference
{
    /// <summary>Longer image strings are refused (a reference is at most a host, a 255-character name, a tag and a digest).</summary>
    public const int MaxLength = 1024;

    public const string DockerHub = "docker.io";

    /// <summary>The host as written (<c>registry.example.com:5000</c>), or <c>docker.io</c> when none was.</summary>
    public required string Host { get; init; }

    public required RepositoryName Repository { get; init; }

    public string? Tag { get; init; }

    public Digest? Digest { get; init; }

    /// <summary>What to resolve: the digest when there is one (tag+digest pins the digest), else the tag, else <c>latest</c>.</summary>
    public Reference Reference => Digest is { } d ? new Reference(null, d) : new Reference(Tag ?? "latest", null);

    /// <summary><c>HOST/PATH@DIGEST</c>: the pinned form written by the mutating webhook.</summary>
    public string Pinned(Digest digest) => $"{Host}/{Repository}@{digest}";

    public static bool TryParse(string? image, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? problem)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(image)) { problem = "the image is empty"; return false; }
        if (image.Length > MaxLength) { problem = $"the image is {image.Length} characters long (at most {MaxLength})"; return false; }
        if (image.Trim().Length != image.Length) { problem = "the image has leading or trailing white space"; return false; }

        string rest = image;
        Digest? digest = null;
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Core.Oci.Digest.TryParse(rest[(at + 1)..], out var d, out string? digestProblem))
            {
                problem = $"'{rest[(at + 1)..]}' is not a digest ({digestProblem})";
                return false;
            }
            digest = d;
            rest = rest[..at];
        }

        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!Core.Oci.Tag.IsValid(tag)) { problem = $"'{tag}' is not a valid tag"; return false; }
        }

        string host = DockerHub, path = rest;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            string first = rest[..slash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                host = first;
                path = rest[(slash + 1)..];
                if (!IsHost(host)) { problem = $"'{host}' is not a registry host"; return false; }
            }
        }
        if (host == DockerHub && !path.Contains('/', StringComparison.Ordinal)) path = "library/" + path;
        if (!RepositoryName.TryParse(path, out var repository))
        {
            problem = $"'{path}' is not a valid repository name (lower-case letters, digits and separators)";
            return false;
        }
        reference = new ImageReference { Host = host, Repository = repository, Tag = tag, Digest = digest };
        problem = null;
        return true;
    }

    /// <summary>A DNS name or IPv4 address (or a bracketed IPv6 one) with an optional port.</summary>
    private static bool IsHost(string host)
    {
        string name = host;
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !System.Net.IPAddress.TryParse(host[1..close], out _)) return false;
            name = "";
            host = host[(close + 1)..];
            if (host.Length == 0) return true;
            if (host[0] != ':') return false;
            return int.TryParse(host.AsSpan(1), out int p6) && p6 is > 0 and < 65536;
        }
        int colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!int.TryParse(name.AsSpan(colon + 1), out int port) || port is <= 0 or >= 65536) return false;
            name = name[..colon];
        }
        if (name.Length is 0 or > 253) return false;
        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (char c in label)
                if (!char.IsAsciiLetterOrDigit(c) && c != '-') return false;
        }
        return true;
    }

    public override string ToString() =>
        $"{Host}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is { } d ? "@" + d : "")}";
}
