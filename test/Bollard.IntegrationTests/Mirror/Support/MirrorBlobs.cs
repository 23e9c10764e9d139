using System.Security.Cryptography;
using Bollard.Core.Mirror;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Mirror.Support;

/// <summary>What the mirror's blob tests share: hashing a body as it streams, and waiting for background fetches.</summary>
internal static class MirrorBlobs
{
    /// <summary>Hashes a body 64 KiB at a time: its digest and length, never its whole bytes in memory.</summary>
    public static async Task<(string Digest, long Length)> HashAsync(Stream body, CancellationToken ct = default)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long length = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            length += n;
        }
        return ("sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset()), length);
    }

    /// <summary>
    /// A miss commits in the background after the client has its bytes: waits until no upstream blob fetch is in
    /// flight (a failed or finished fetch has left the table).
    /// </summary>
    public static async Task WaitForFetchesAsync(BollardServer server)
    {
        var fetches = server.Services.GetRequiredService<BlobFetches>();
        for (int i = 0; i < 600 && fetches.Running > 0; i++) await Task.Delay(100);
        Assert.Equal(0, fetches.Running);
    }
}
