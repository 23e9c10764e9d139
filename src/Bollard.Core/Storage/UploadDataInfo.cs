namespace Bollard.Core.Storage;

/// <summary>Upload data as a backend lists it: its id, how many bytes it holds and when it was last written.</summary>
public sealed record UploadDataInfo(string Id, long Size, DateTimeOffset LastModified);
