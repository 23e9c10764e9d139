using System.Security.Cryptography.X509Certificates;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// A certificate authority (Fulcio) or timestamp authority of a trusted root: its chain as the root lists it (the issuing
/// certificate first, the self-signed root last) and when it may be trusted.
/// </summary>
public sealed record SigstoreCertificateAuthority
{
    public string? Uri { get; init; }

    public string? Organization { get; init; }

    public string? CommonName { get; init; }

    /// <summary>The chain, issuing certificate first; never empty.</summary>
    public required IReadOnlyList<X509Certificate2> Chain { get; init; }

    public ValidityPeriod ValidFor { get; init; } = ValidityPeriod.Always;

    /// <summary>The last certificate of the chain: the trust anchor.</summary>
    public X509Certificate2 Root => Chain[^1];

    /// <summary>Every certificate but the root (intermediates that may complete a signer's chain).</summary>
    public IEnumerable<X509Certificate2> Intermediates => Chain.Take(Chain.Count - 1);

    /// <summary>A readable name for reasons, e.g. <c>https://fulcio.sigstore.dev (CN=sigstore-intermediate, O=sigstore.dev)</c>.</summary>
    public string Describe() => $"{Uri ?? "certificate authority"} ({Chain[0].Subject})";
}
