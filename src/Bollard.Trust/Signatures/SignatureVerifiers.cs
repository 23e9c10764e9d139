namespace Bollard.Trust.Signatures;

/// <summary>Every format's verifier and producer, by format (each format's folder adds its own line).</summary>
public static class SignatureVerifiers
{
    public static IReadOnlyList<ISignatureVerifier> All { get; } =
    [
        new Cosign.CosignVerifier(),
        new Sigstore.SigstoreBundleVerifier(),
        new Notation.NotationJwsVerifier(),
        new Notation.NotationCoseVerifier(),
    ];

    public static IReadOnlyList<ISignatureProducer> Producers { get; } =
    [
        new Cosign.CosignProducer(),
        new Sigstore.SigstoreBundleProducer(),
        new Notation.NotationJwsProducer(),
    ];

    public static ISignatureVerifier? For(SignatureFormat format) => All.FirstOrDefault(v => v.Format == format);

    public static ISignatureProducer? ProducerFor(SignatureFormat format) => Producers.FirstOrDefault(p => p.Format == format);
}
