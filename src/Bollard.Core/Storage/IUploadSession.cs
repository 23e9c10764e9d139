using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>
/// One blob upload in progress. Calls on one session are serialized by the session itself, so two
/// concurrent chunks for the same upload cannot interleave.
/// </summary>
public interface IUploadSession
{
    string Id { get; }

    /// <summary>Bytes received so far.</summary>
    long Length { get; }

    /// <summary>
    /// Appends a chunk, hashing while streaming. When <paramref name="expectedStart"/> is given and differs
    /// from <see cref="Length"/>, nothing is written and <c>416</c> (<see cref="OciErrors.RangeInvalid"/>) is thrown.
    /// When <paramref name="expectedLength"/> is given and the stream delivers a different number of bytes,
    /// the chunk is rolled back and <c>BLOB_UPLOAD_INVALID</c>/<c>SIZE_INVALID</c> is thrown. A failed read
    /// (client gone) rolls the chunk back too: the session stays as it was before the call.
    /// </summary>
    /// <returns>The new length.</returns>
    ValueTask<long> AppendAsync(Stream chunk, long? expectedStart, long? expectedLength, CancellationToken ct);

    /// <summary>
    /// Verifies the data against <paramref name="expected"/> (and <paramref name="expectedSize"/> if given),
    /// makes it durable and moves it into the blob store. On mismatch the session and its data are removed and
    /// <c>DIGEST_INVALID</c>/<c>SIZE_INVALID</c> is thrown; no blob is left behind.
    /// </summary>
    ValueTask<BlobInfo> CommitAsync(Digest expected, long? expectedSize, CancellationToken ct);

    /// <summary>Discards the session and its data. Idempotent, safe after commit.</summary>
    ValueTask CancelAsync(CancellationToken ct);
}
