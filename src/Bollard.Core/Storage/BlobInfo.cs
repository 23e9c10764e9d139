using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

public sealed record BlobInfo(Digest Digest, long Size);
