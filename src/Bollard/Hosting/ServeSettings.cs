namespace Bollard.Hosting;

/// <summary>The <c>Server</c> and <c>Storage</c> configuration sections, resolved to absolute paths.</summary>
public sealed record ServeSettings
{
    public string Listen { get; init; } = "127.0.0.1:5000";
    public string DataDir { get; init; } = "./bollard-data";
    public string BlobType { get; init; } = "filesystem";
    public string? BlobPath { get; init; }
    public string MetadataType { get; init; } = "sqlite";
    public string? MetadataPath { get; init; }
    public string? TlsCertificate { get; init; }
    public string? TlsKey { get; init; }
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];
}
