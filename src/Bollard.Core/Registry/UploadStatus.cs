namespace Bollard.Core.Registry;

/// <summary>Where an upload stands: its id and how many bytes it holds.</summary>
public sealed record UploadStatus(string Id, long Length);
