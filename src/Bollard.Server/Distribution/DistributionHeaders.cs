namespace Bollard.Server.Distribution;

/// <summary>The response headers of distribution-spec that more than one resource sets.</summary>
internal static class DistributionHeaders
{
    public const string ApiVersion = "Docker-Distribution-API-Version";
    public const string ContentDigest = "Docker-Content-Digest";
    public const string UploadUuid = "Docker-Upload-UUID";
}
