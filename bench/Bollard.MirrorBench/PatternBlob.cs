using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Bollard.MirrorBench;

/// <summary>
/// A blob of <c>length</c> bytes repeating a 4 MiB random pattern chosen by <c>seed</c>, generated while it is sent:
/// distinct seeds give distinct digests, so every round's miss is a real miss.
/// </summary>
internal sealed class PatternBlob
{
    private const int PatternSize = 4 * 1024 * 1024;
    private readonly byte[] _pattern = new byte[PatternSize];

    public PatternBlob(long length, int seed)
    {
        Length = length;
        new Random(seed).NextBytes(_pattern);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long pos = 0; pos < length; pos += PatternSize) hash.AppendData(_pattern, 0, (int)Math.Min(PatternSize, length - pos));
        Digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public long Length { get; }

    public string Digest { get; }

    public HttpContent Content() => new PatternContent(_pattern, Length);

    private sealed class PatternContent : HttpContent
    {
        private readonly byte[] _pattern;
        private readonly long _length;

        public PatternContent(byte[] pattern, long length)
        {
            (_pattern, _length) = (pattern, length);
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (long pos = 0; pos < _length; pos += _pattern.Length)
                await stream.WriteAsync(_pattern.AsMemory(0, (int)Math.Min(_pattern.Length, _length - pos)), cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
