using System.Text;
using Bollard.Core.Oci;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Tests.Signatures;

/// <summary>
/// Issue 9's attack sizes against the default <see cref="DiscoveryLimits"/>: a <c>.sig</c> manifest of 1,000 signatures
/// and an image with 10,000 referrers cost a bounded number of reads, and each cut is reported.
/// </summary>
public sealed class DiscoveryBoundsTests
{
    private static readonly Digest Image = Digest.Sha256Of("image"u8);

    [Fact]
    public async Task A_sig_manifest_of_1000_signatures_reads_the_newest_256_and_then_no_referrer()
    {
        var source = new HugeSource(sigLayers: 1_000, referrers: 10_000);
        var found = await new SignatureDiscovery(source).FindAsync("team/app", Image, CancellationToken.None);

        Assert.Equal(DiscoveryLimits.Default.MaxSignatures, found.Signatures.Count);
        Assert.Equal(Enumerable.Range(1_000 - 256, 256), found.Signatures.Select(s => s.LayerIndex));
        Assert.Equal(256, source.BlobReads);
        // The .sig tag and the fallback index tag; no referrer manifest is read once the signature budget is spent.
        Assert.Equal(2, source.ManifestReads);
        Assert.Equal(DiscoveryLimits.Default.MaxReferrers + 1, source.LargestListing);
        Assert.Contains(found.Warnings, w => w.Contains("holds 1000 signatures; only the newest 256 are read", StringComparison.Ordinal));
        Assert.Contains(found.Warnings, w => w.Contains("more than 2000 referrers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_image_with_10000_referrers_lists_2001_and_reads_256_of_them()
    {
        var source = new HugeSource(sigLayers: 0, referrers: 10_000);
        var found = await new SignatureDiscovery(source).FindAsync("team/app", Image, CancellationToken.None);

        Assert.Equal(256, found.Signatures.Count);
        Assert.All(found.Signatures, s => Assert.Equal(SignatureFormat.SigstoreBundle, s.Format));
        Assert.Equal(DiscoveryLimits.Default.MaxReferrers + 1, source.LargestListing);
        Assert.Equal(256 + 2, source.ManifestReads);
        Assert.Equal(256, source.BlobReads);
        Assert.Contains(found.Warnings, w => w.Contains("more than 2000 referrers; only the first 2000 are looked at", StringComparison.Ordinal));
        Assert.Contains(found.Warnings, w => w.Contains("2000 signature referrers found; only the newest 256 are read", StringComparison.Ordinal));
    }

    /// <summary>An artifact source that holds a .sig manifest of many layers and many Sigstore bundle referrers, counting every read.</summary>
    private sealed class HugeSource(int sigLayers, int referrers) : IArtifactSource
    {
        private int _manifestReads, _blobReads, _largestListing;

        public int ManifestReads => _manifestReads;

        public int BlobReads => _blobReads;

        public int LargestListing => _largestListing;

        public Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct)
        {
            Interlocked.Increment(ref _manifestReads);
            string? body = null;
            if (reference == SignatureMediaTypes.CosignSignatureTag(Image) && sigLayers > 0)
                body = Manifest(null, null, Enumerable.Range(0, sigLayers).Select(i => (SignatureMediaTypes.CosignSimpleSigning, Blob(i))));
            else if (Digest.TryParse(reference, out var digest) && Referrer(digest) is { } n)
                body = Manifest(SignatureMediaTypes.SigstoreBundleV03, Image, [(SignatureMediaTypes.SigstoreBundleV03, Blob(100_000 + n))]);
            if (body is null) return Task.FromResult<ArtifactManifest?>(null);
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            return Task.FromResult<ArtifactManifest?>(new ArtifactManifest(Digest.Sha256Of(bytes), MediaTypes.OciManifest, bytes));
        }

        public Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct)
        {
            int largest;
            do largest = _largestListing; while (max > largest && Interlocked.CompareExchange(ref _largestListing, max, largest) != largest);
            return Task.FromResult<IReadOnlyList<ArtifactReferrer>>(Enumerable.Range(0, Math.Min(max, referrers))
                .Select(n => new ArtifactReferrer(ReferrerDigest(n), MediaTypes.OciManifest, SignatureMediaTypes.SigstoreBundleV03, 400)).ToList());
        }

        public Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct)
        {
            Interlocked.Increment(ref _blobReads);
            return Task.FromResult("{}"u8.ToArray());
        }

        private static Digest Blob(int n) => Digest.Sha256Of(Encoding.UTF8.GetBytes($"blob {n}"));

        private static Digest ReferrerDigest(int n) => Digest.Sha256Of(Encoding.UTF8.GetBytes($"referrer {n}"));

        // Only the first 2,001 can be listed (MaxReferrers + 1), so only those need a manifest.
        private readonly Dictionary<Digest, int> _referrers = Enumerable.Range(0, Math.Min(referrers, 2_001)).ToDictionary(ReferrerDigest);

        private int? Referrer(Digest digest) => _referrers.TryGetValue(digest, out int n) ? n : null;

        private static string Manifest(string? artifactType, Digest? subject, IEnumerable<(string MediaType, Digest Digest)> layers)
        {
            string config = $$"""{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{Digest.Sha256Of("{}"u8)}}","size":2}""";
            string items = string.Join(",", layers.Select(l => $$"""{"mediaType":"{{l.MediaType}}","digest":"{{l.Digest}}","size":2}"""));
            string type = artifactType is null ? "" : $$""","artifactType":"{{artifactType}}" """;
            string subjectJson = subject is null ? "" : $$""","subject":{"mediaType":"{{MediaTypes.OciManifest}}","digest":"{{subject}}","size":100}""";
            return $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciManifest}}"{{type}},"config":{{config}},"layers":[{{items}}]{{subjectJson}}}""";
        }
    }
}
