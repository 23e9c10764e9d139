using System.Net;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>
/// The blob read seam (issue 6 A4): a decorator registered over <see cref="StoredBlobReader"/> is what
/// <c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c> serves from, as a pull-through mirror will be; and a store that offers
/// a redirect URL (an object store's pre-signed URL) gets the client a 307 instead of the bytes.
/// </summary>
public sealed class BlobReadSeamTests : IAsyncLifetime
{
    private BollardServer _server = null!;
    private readonly List<string> _asked = [];

    public async Task InitializeAsync() => _server = await BollardServer.StartAsync(services: s =>
    {
        s.AddSingleton<StoredBlobReader>();
        s.AddSingleton<IBlobReader>(sp => new RedirectingReader(sp.GetRequiredService<StoredBlobReader>(), _asked));
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Get_ThroughADecoratedReader_WithARedirectUrl_Answers307_HeadStillAnswersTheSize()
    {
        string repo = AttackSupport.UniqueRepo("protocol/seam");
        var data = RegistryTestClient.RandomBytes(321);
        string digest = await _server.Client.PushBlobAsync(repo, data);

        using (var get = await _server.Client.GetAsync($"/v2/{repo}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.TemporaryRedirect, get.StatusCode);
            Assert.Equal($"https://objects.example.test/{digest}", get.Headers.Location?.AbsoluteUri);
            Assert.Equal(digest, get.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using (var head = await _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/blobs/{digest}")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(321, head.Content.Headers.ContentLength);
        }
        // The decorator saw the repository of each request (a mirror needs it to pick the upstream).
        lock (_asked) Assert.Contains($"{repo}@{digest}", _asked);
    }

    [Fact]
    public async Task Get_ABlobNotLinkedHere_IsUnknown_BeforeAnyRedirect()
    {
        string repo = AttackSupport.UniqueRepo("protocol/seam");
        string digest = await _server.Client.PushBlobAsync(repo, RegistryTestClient.RandomBytes(50));
        using var other = await _server.Client.GetAsync($"/v2/{repo}-other/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", await other.ErrorCodeAsync());
    }

    private sealed class RedirectingReader(IBlobReader inner, List<string> asked) : IBlobReader
    {
        public Task<BlobInfo> StatAsync(RepositoryName repository, Digest digest, CancellationToken ct)
        {
            lock (asked) asked.Add($"{repository}@{digest}");
            return inner.StatAsync(repository, digest, ct);
        }

        public Task<Stream> OpenAsync(RepositoryName repository, Digest digest, ByteRange? range, CancellationToken ct) =>
            inner.OpenAsync(repository, digest, range, ct);

        public Task<Uri?> GetRedirectUriAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
            Task.FromResult<Uri?>(new Uri($"https://objects.example.test/{digest}"));
    }
}
