using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.Attacks;

/// <summary>A server whose page size is capped at 5, so that the cap shows with a handful of items.</summary>
public sealed class SmallPageServerFixture : IAsyncLifetime
{
    public const int PageSize = 5;
    public BollardServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Registry:MaxPageSize"] = PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// Huge, zero, negative and non-numeric <c>n</c> on tag and catalog lists (CVE-2023-2253 class: an unbounded
/// <c>n</c> must not make the registry build an unbounded page).
/// </summary>
public sealed partial class PaginationAttackTests(SmallPageServerFixture fixture) : IClassFixture<SmallPageServerFixture>
{
    private const int PageSize = SmallPageServerFixture.PageSize;
    private readonly BollardServer _server = fixture.Server;
    private HttpClient Client => _server.Client;

    [GeneratedRegex("^<([^>]+)>;\\s*rel=\"next\"$")]
    private static partial Regex NextLink();

    private static async Task<(List<string> Items, string? Next)> PageAsync(HttpClient client, string url, string property)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var array = doc.RootElement.GetProperty(property);
        var items = array.ValueKind == JsonValueKind.Null ? [] : array.EnumerateArray().Select(e => e.GetString()!).ToList();
        string? next = null;
        if (response.Headers.TryGetValues("Link", out var links))
        {
            var m = NextLink().Match(links.Single());
            Assert.True(m.Success, $"bad Link header: {links.Single()}");
            next = m.Groups[1].Value;
        }
        return (items, next);
    }

    private async Task<string> RepoWithTagsAsync(int count)
    {
        string repo = AttackSupport.UniqueRepo("attack/pages");
        var body = await Client.MinimalManifestAsync(repo);
        for (int i = 0; i < count; i++)
        {
            using var put = await Client.PutManifestAsync(repo, $"t{i:D2}", body, "application/vnd.oci.image.manifest.v1+json");
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        return repo;
    }

    [Theory]
    [InlineData("1000000000")]
    [InlineData("2147483647")]
    [InlineData("2147483648")]
    [InlineData("99999999999999999999999999")]
    [InlineData(null)]
    public async Task HugeN_OnTags_IsCapped_LinkFollowsToTheEnd(string? n)
    {
        string repo = await RepoWithTagsAsync(12);
        string url = n is null ? $"/v2/{repo}/tags/list" : $"/v2/{repo}/tags/list?n={n}";
        if (n == "99999999999999999999999999")
        {
            // Does not fit any integer: either capped like any other big n or refused as a bad number, never 500.
            using var response = await Client.GetAsync(url);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"got {response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.BadRequest) return;
        }
        var all = new List<string>();
        int pages = 0;
        string? next = url;
        while (next is not null)
        {
            var (items, link) = await PageAsync(Client, next, "tags");
            Assert.True(items.Count <= PageSize, $"page of {items.Count} items is over the cap of {PageSize}");
            all.AddRange(items);
            next = link;
            Assert.True(++pages <= 10, "Link header does not end");
        }
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"t{i:D2}"), all);
    }

    [Fact]
    public async Task HugeN_OnCatalog_IsCapped_LinkFollowsToTheEnd()
    {
        for (int i = 0; i < 7; i++) await Client.PushBlobAsync($"attack/catalog{i}", [(byte)i]);
        var all = new List<string>();
        int pages = 0;
        string? next = "/v2/_catalog?n=1000000000";
        while (next is not null)
        {
            var (items, link) = await PageAsync(Client, next, "repositories");
            Assert.True(items.Count <= PageSize, $"page of {items.Count} items is over the cap of {PageSize}");
            all.AddRange(items);
            next = link;
            Assert.True(++pages <= 100, "Link header does not end");
        }
        Assert.True(pages >= 2);
        Assert.Equal(all.Distinct().Count(), all.Count);
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        for (int i = 0; i < 7; i++) Assert.Contains($"attack/catalog{i}", all);
    }

    [Fact]
    public async Task NZero_IsEmptyListWithoutLink()
    {
        string repo = await RepoWithTagsAsync(3);
        var (tags, tagsNext) = await PageAsync(Client, $"/v2/{repo}/tags/list?n=0", "tags");
        Assert.Empty(tags);
        Assert.Null(tagsNext);
        var (repos, reposNext) = await PageAsync(Client, "/v2/_catalog?n=0", "repositories");
        Assert.Empty(repos);
        Assert.Null(reposNext);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("+5")]
    [InlineData("0x10")]
    [InlineData("%20")]
    [InlineData("1e3")]
    public async Task BadN_Is400(string n)
    {
        string repo = await RepoWithTagsAsync(1);
        foreach (string url in new[] { $"/v2/{repo}/tags/list?n={n}", $"/v2/_catalog?n={n}" })
        {
            using var response = await Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.NotNull(await response.ErrorCodeAsync());
        }
    }

    [Fact]
    public async Task SmallN_PagesWithLast_AndHostileLastValues_AreHarmless()
    {
        string repo = await RepoWithTagsAsync(4);
        var (first, next) = await PageAsync(Client, $"/v2/{repo}/tags/list?n=2", "tags");
        Assert.Equal(["t00", "t01"], first);
        Assert.NotNull(next);
        var (second, next2) = await PageAsync(Client, next!, "tags");
        Assert.Equal(["t02", "t03"], second);
        Assert.Null(next2);

        foreach (string last in new[] { "'%20OR%201=1--", "%00", new string('z', 5000), "t01%22%3E%3Cscript%3E" })
        {
            using var response = await Client.GetAsync($"/v2/{repo}/tags/list?n=2&last={last}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using var catalog = await Client.GetAsync("/v2/_catalog?last=%27%20OR%201%3D1--");
        Assert.Equal(HttpStatusCode.OK, catalog.StatusCode);
    }

    [Fact]
    public async Task TagsOfUnknownRepository_IsNameUnknown()
    {
        using var response = await Client.GetAsync("/v2/attack/nothing-here/tags/list?n=1000000000");
        await response.AssertErrorAsync(HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }
}

/// <summary>The default cap (1000) with a real 1001-tag repository.</summary>
public sealed class DefaultPageCapTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    [Fact]
    public async Task HugeN_IsCappedAtTheDefault1000_AndTheLinkLeadsToTheRest()
    {
        var client = fixture.Server.Client;
        string repo = AttackSupport.UniqueRepo("attack/pages");
        var body = await client.MinimalManifestAsync(repo);
        var gate = new SemaphoreSlim(8);
        await Task.WhenAll(Enumerable.Range(0, 1001).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                using var put = await client.PutManifestAsync(repo, $"t{i:D4}", body, "application/vnd.oci.image.manifest.v1+json");
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }
            finally { gate.Release(); }
        }));

        using var first = await client.GetAsync($"/v2/{repo}/tags/list?n=1000000000");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var doc = JsonDocument.Parse(await first.Content.ReadAsStringAsync()))
        {
            var tags = doc.RootElement.GetProperty("tags");
            Assert.Equal(1000, tags.GetArrayLength());
            Assert.Equal("t0999", tags[999].GetString());
        }
        string link = first.Headers.GetValues("Link").Single();
        string next = link[(link.IndexOf('<') + 1)..link.IndexOf('>')];
        using var second = await client.GetAsync(next);
        using var doc2 = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal(["t1000"], doc2.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.False(second.Headers.Contains("Link"));
    }
}
