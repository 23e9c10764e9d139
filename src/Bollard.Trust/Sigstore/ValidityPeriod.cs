namespace Bollard.Trust.Sigstore;

/// <summary>
/// A protobuf-specs <c>TimeRange</c> (<c>validFor</c>): when a certificate authority, log or timestamp authority may be
/// trusted. A missing end means "still valid".
/// </summary>
public sealed record ValidityPeriod(DateTimeOffset? Start, DateTimeOffset? End)
{
    public static ValidityPeriod Always { get; } = new(null, null);

    public bool Contains(DateTimeOffset at) => (Start is null || at >= Start) && (End is null || at <= End);

    public override string ToString() => $"{(Start is { } s ? s.ToString("u") : "always")} to {(End is { } e ? e.ToString("u") : "now")}";
}
