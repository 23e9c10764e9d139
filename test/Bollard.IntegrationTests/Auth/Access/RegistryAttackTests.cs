using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>
/// Attacks on <c>/v2/</c> by principals with push rights somewhere: mounting a blob out of a repository they
/// cannot read (Zot CVE-2024-39897 class), reading a blob by digest through a repository that does not hold it,
/// hijacking another principal's upload session (Quay CVE-2026-32589 class), and listing repositories they
/// cannot read through the catalog. Each fails closed and reveals nothing.
/// </summary>
public sealed class RegistryAttackTests(AccessServerFixture fixture) : IClassFixture<AccessServerFixture>
{
    private readonly AccessServer _access = fixture.Access;
    private BollardServer Server => _access.Server;

    private static HttpContent Bytes(byte[] data) => new ByteArrayContent(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

    /// <summary>Status, header names and the values that must not differ (all but the per-session id and Location).</summary>
    private static async Task<string> ShapeAsync(HttpResponseMessage r)
    {
        var headers = r.Headers.Concat(r.Content.Headers)
            // The request id differs per request by design (issue 6, A6); only its presence is part of the shape.
            .Where(h => h.Key is not ("Date" or "Location" or "Docker-Upload-UUID") && !h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase))
            .Select(h => $"{h.Key}: {string.Join(",", h.Value)}")
            .Concat(r.Headers.Select(h => h.Key)) // the names of the varying ones too
            .Order(StringComparer.Ordinal);
        return $"{(int)r.StatusCode}\n{string.Join('\n', headers)}\nbody: {await r.Content.ReadAsStringAsync()}";
    }

    [Fact]
    public async Task Mount_FromARepositoryTheCallerCannotRead_FallsBackToAnUpload_AndRevealsNothing()
    {
        string victim = AccessServer.Unique("victim") + "/app";
        string mal = AccessServer.Unique("mal");
        var secret = await AccessServer.PushImageAsync(_access.Registry(_access.Admin), victim, "v1");
        var mallory = await _access.CreateUserWithRoleAsync(AccessServer.Unique("mallory"), "developer", $"{mal}/**");
        var client = _access.Registry(mallory);
        await client.PushBlobAsync($"{mal}/own", [42]); // mallory's readable repository exists
        string absent = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("never pushed " + Guid.NewGuid()));

        var shapes = new Dictionary<string, string>();
        foreach (var (name, query) in new[]
        {
            ("existing blob, from the victim", $"mount={secret.Layer}&from={victim}"),
            ("absent blob, from the victim", $"mount={absent}&from={victim}"),
            ("existing blob, no from", $"mount={secret.Layer}"),
            ("absent blob, no from", $"mount={absent}"),
            ("existing blob, from a readable repository without it", $"mount={secret.Layer}&from={mal}/own"),
            ("existing blob, from a repository that does not exist", $"mount={secret.Layer}&from={mal}/none"),
        })
        {
            using var response = await client.PostAsync($"/v2/{mal}/target/blobs/uploads/?{query}", null);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.StartsWith($"/v2/{mal}/target/blobs/uploads/", response.Headers.Location!.OriginalString);
            shapes[name] = await ShapeAsync(response);
        }
        var distinct = shapes.Values.Distinct().ToList();
        Assert.True(distinct.Count == 1, "the answers differ:\n" + string.Join("\n---\n", shapes.Select(s => $"[{s.Key}]\n{s.Value}")));

        // Nothing was linked: neither mallory nor the admin finds the blob in mallory's repositories.
        var admin = _access.Registry(_access.Admin);
        foreach (string repo in new[] { $"{mal}/target", $"{mal}/own" })
        {
            using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/blobs/{secret.Layer}")))
                Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
            using (var get = await admin.GetAsync($"/v2/{repo}/blobs/{secret.Layer}"))
                await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        }
        // mallory's tokens never granted anything on the victim's repository.
        var issued = await _access.AssertAuditedAsync(mallory.User, "token.issue", "success");
        Assert.DoesNotContain(issued, e => (e.Detail ?? "").Contains(victim, StringComparison.Ordinal));

        // Control: someone who may read the source does get the mount (so the refusal above is the rights check).
        string ok = AccessServer.Unique("okmount");
        var porter = await _access.CreateUserWithRoleAsync(AccessServer.Unique("porter"), "developer", $"{ok}/**");
        await _access.BindAsync(porter.User, "reader", victim);
        using (var mount = await _access.Registry(porter).PostAsync($"/v2/{ok}/copy/blobs/uploads/?mount={secret.Layer}&from={victim}", null))
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
    }

    [Fact]
    public async Task BlobByDigest_ThroughARepositoryThatDoesNotHoldIt_IsUnknown_LikeANeverPushedDigest()
    {
        string victim = AccessServer.Unique("victim") + "/app";
        string mal = AccessServer.Unique("mal");
        var secret = await AccessServer.PushImageAsync(_access.Registry(_access.Admin), victim, "v1");
        var mallory = await _access.CreateUserWithRoleAsync(AccessServer.Unique("mallory"), "maintainer", $"{mal}/**");
        var client = _access.Registry(mallory);
        await client.PushBlobAsync($"{mal}/own", [7]);
        string absent = RegistryTestClient.Sha256(Encoding.UTF8.GetBytes("never pushed " + Guid.NewGuid()));

        foreach (string digest in new[] { secret.Layer, secret.Config, absent })
        {
            using (var get = await client.GetAsync($"/v2/{mal}/own/blobs/{digest}"))
                await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
            using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{mal}/own/blobs/{digest}")))
            {
                Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
                Assert.Null(head.Content.Headers.ContentLength is > 0 ? head.Content.Headers.ContentLength : null);
            }
            using (var range = new HttpRequestMessage(HttpMethod.Get, $"/v2/{mal}/own/blobs/{digest}") { Headers = { Range = new RangeHeaderValue(0, 3) } })
            using (var get = await client.SendAsync(range))
                Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            // Deleting it there (maintainer) does not touch the victim's link either.
            using (var delete = await client.DeleteAsync($"/v2/{mal}/own/blobs/{digest}"))
                await delete.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        }
        using (var still = await _access.Registry(_access.Admin).GetAsync($"/v2/{victim}/blobs/{secret.Layer}"))
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task Refusals_DoNotRevealWhetherARepositoryOrReferenceExists()
    {
        string victim = AccessServer.Unique("victim");
        var secret = await AccessServer.PushImageAsync(_access.Registry(_access.Admin), $"{victim}/app", "v1");
        var outsider = await _access.CreateUserWithRoleAsync(AccessServer.Unique("outsider"), "admin", AccessServer.Unique("own") + "/**");
        string absent = RegistryTestClient.Sha256([9, 9, 9]);
        foreach (var creds in new[] { outsider, null })
        {
            var client = _access.Registry(creds);
            var shapes = new List<string>();
            foreach (string path in new[]
            {
                $"/v2/{victim}/app/manifests/v1", $"/v2/{victim}/app/manifests/nope", $"/v2/{victim}/none/manifests/v1",
                $"/v2/{victim}/app/blobs/{secret.Layer}", $"/v2/{victim}/app/blobs/{absent}", $"/v2/{victim}/none/blobs/{secret.Layer}",
                $"/v2/{victim}/app/tags/list", $"/v2/{victim}/none/tags/list",
            })
            {
                using var response = await client.GetAsync(path);
                // The scope in the challenge names the repository asked for; everything else must be the same.
                string shape = (await ShapeAsync(response)).Replace($"{victim}/app", "REPO").Replace($"{victim}/none", "REPO");
                shapes.Add(shape);
            }
            Assert.True(shapes.Distinct().Count() == 1, $"{creds?.User ?? "anonymous"}: the refusals differ:\n" + string.Join("\n---\n", shapes.Distinct()));
            Assert.Contains(creds is null ? "401" : "403", shapes[0][..3]);
        }
    }

    [Fact]
    public async Task UploadSession_IsUnknownToOtherPrincipalsAndThroughOtherRepositories_AndTheOwnerFinishesIt()
    {
        string ns = AccessServer.Unique("shared");
        var alice = await _access.CreateUserWithRoleAsync(AccessServer.Unique("alice"), "developer", $"{ns}/**");
        var bob = await _access.CreateUserWithRoleAsync(AccessServer.Unique("bob"), "admin", $"{ns}/**");
        var bot = await _access.CreateRobotAsync(AccessServer.Unique("ci"), ("developer", $"{ns}/**"));
        var registryAdmin = await _access.CreateUserAsync(AccessServer.Unique("root"), admin: true);
        var aliceClient = _access.Registry(alice);
        await aliceClient.PushBlobAsync($"{ns}/b", [1]); // the other repository exists

        var first = Encoding.UTF8.GetBytes("alice's first chunk;");
        string location = await aliceClient.StartUploadAsync($"{ns}/a");
        string id = location[(location.LastIndexOf('/') + 1)..];
        using (var patch = await aliceClient.PatchAsync(location, first)) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var blobsBefore = Server.BlobFiles();

        var foreign = Encoding.UTF8.GetBytes("injected by someone else");
        string foreignDigest = RegistryTestClient.Sha256(foreign);
        string viaB = $"/v2/{ns}/b/blobs/uploads/{id}";
        foreach (var (who, creds) in new[] { ("bob", bob), ("robot", bot), ("registry admin", registryAdmin), ("alice via b", alice) })
        {
            var client = _access.Registry(creds);
            foreach (string path in who == "alice via b" ? new[] { viaB } : new[] { location, viaB })
            {
                var requests = new (string Method, Func<Task<HttpResponseMessage>> Send)[]
                {
                    ("GET", () => client.GetAsync(path)),
                    ("PATCH", () => client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, path) { Content = Bytes(foreign) })),
                    ("PUT", () => client.PutAsync($"{path}?digest={foreignDigest}", Bytes(foreign))),
                    ("PUT (digest of alice's data)", () => client.PutAsync($"{path}?digest={RegistryTestClient.Sha256(first)}", Bytes([]))),
                    ("DELETE", () => client.DeleteAsync(path)),
                };
                foreach (var (method, send) in requests)
                {
                    using var response = await send();
                    string body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.NotFound && body.Contains("BLOB_UPLOAD_UNKNOWN", StringComparison.Ordinal),
                        $"{who}: {method} {path} -> {(int)response.StatusCode} {body}");
                }
            }
        }
        Assert.Equal(blobsBefore, Server.BlobFiles());

        // alice still has her session, untouched, and finishes it.
        Assert.Equal($"0-{first.Length - 1}", await aliceClient.UploadRangeAsync(location));
        var second = Encoding.UTF8.GetBytes("alice's second chunk");
        using (var patch = await aliceClient.PatchAsync(location, second)) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        byte[] all = [.. first, .. second];
        using (var put = await aliceClient.CloseUploadAsync(location, RegistryTestClient.Sha256(all))) Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using (var get = await aliceClient.GetAsync($"/v2/{ns}/a/blobs/{RegistryTestClient.Sha256(all)}"))
            Assert.Equal(all, await get.Content.ReadAsByteArrayAsync());
        using (var get = await aliceClient.GetAsync($"/v2/{ns}/a/blobs/{foreignDigest}"))
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);

        // Audited: the others got their (legitimate) push tokens for the namespace, and stored nothing.
        await _access.AssertAuditedAsync(bob.User, "token.issue", "success", where: e => (e.Detail ?? "").Contains($"repository:{ns}/a:pull,push", StringComparison.Ordinal));
        foreach (var creds in new[] { bob, bot, registryAdmin })
            Assert.Empty(await _access.AuditAsync(principal: creds.User, action: "push"));
    }

    [Fact]
    public async Task Catalog_ListsOnlyReadableRepositories_WhateverTheTokenAsksFor()
    {
        string mine = AccessServer.Unique("catmine"), theirs = AccessServer.Unique("cattheirs"), open = AccessServer.Unique("catpub");
        var admin = _access.Registry(_access.Admin);
        foreach (string repo in new[] { $"{mine}/a", $"{mine}/b", $"{theirs}/a", $"{theirs}/secret", $"{open}/p" })
            await admin.PushBlobAsync(repo, [3]);
        await _access.SetPublicAsync($"{open}/**", true);
        var carl = await _access.CreateUserWithRoleAsync(AccessServer.Unique("carl"), "reader", $"{mine}/**");

        async Task<List<string>> CatalogAsync(HttpClient client)
        {
            var names = new List<string>();
            string? next = "/v2/_catalog?n=2";
            while (next is not null)
            {
                using var response = await client.GetAsync(next);
                var body = await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "catalog");
                names.AddRange(body["repositories"]!.AsArray().Select(n => n!.GetValue<string>()));
                next = response.Headers.TryGetValues("Link", out var link) ? link.Single()[1..link.Single().IndexOf('>')] : null;
            }
            return names.Where(n => n.StartsWith("cat", StringComparison.Ordinal)).Where(n => n.Split('/')[0] is var top && (top == mine || top == theirs || top == open)).ToList();
        }

        // The token asks for the catalog and for pull on the other team's repositories: it lists only carl's and the public ones.
        string token = await _access.TokenAsync(carl, "registry:catalog:*", $"repository:{theirs}/secret:pull", $"repository:{theirs}/a:pull,push");
        Assert.DoesNotContain(theirs, AccessJwt.AccessOf(token));
        Assert.Equal([$"{mine}/a", $"{mine}/b", $"{open}/p"], (await CatalogAsync(_access.WithToken(token))).Order(StringComparer.Ordinal));
        Assert.Equal([$"{mine}/a", $"{mine}/b", $"{open}/p"], (await CatalogAsync(_access.Registry(carl))).Order(StringComparer.Ordinal));
        // Anonymous: only the public namespace.
        Assert.Equal([$"{open}/p"], await CatalogAsync(_access.Registry(null)));
        // Without the catalog scope, the token does not open the catalog at all.
        string noCatalog = await _access.TokenAsync(carl, $"repository:{mine}/a:pull");
        using (var refused = await _access.WithToken(noCatalog).GetAsync("/v2/_catalog"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("registry:catalog:*", AccessTokenDanceHandler.ParseBearer(refused)!["scope"]);
        }
        await _access.AssertAuditedAsync(carl.User, "token.issue", "success", where: e => (e.Detail ?? "").Contains("registry:catalog:*", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HugePageSize_OnCatalogAndTags_IsStillCapped_AndPagingRevealsNoUnreadableName()
    {
        await using var access = await AccessServer.StartAsync(new Dictionary<string, string?> { ["Registry:MaxPageSize"] = "3" });
        var admin = access.Registry(access.Admin);
        // Readable and unreadable names interleave in lexical order.
        var readable = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            await admin.PushBlobAsync($"page/r{i}", [1]);
            await admin.PushBlobAsync($"page/r{i}x", [1]);
            readable.Add($"page/r{i}");
        }
        var reader = await access.CreateUserAsync("pager");
        foreach (string repo in readable) await access.BindAsync("pager", "reader", repo);
        var client = access.Registry(reader);

        using (var response = await client.GetAsync("/v2/_catalog?n=1000000000"))
        {
            var names = (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "catalog"))["repositories"]!.AsArray();
            Assert.Equal(3, names.Count);
            Assert.True(response.Headers.Contains("Link"), "a capped page must link to the next one");
        }
        var seen = new List<string>();
        string? next = "/v2/_catalog?n=1000000000";
        while (next is not null)
        {
            using var response = await client.GetAsync(next);
            var page = (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "catalog"))["repositories"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            Assert.True(page.Count <= 3, $"page of {page.Count}");
            seen.AddRange(page);
            next = response.Headers.TryGetValues("Link", out var link) ? link.Single()[1..link.Single().IndexOf('>')] : null;
            Assert.DoesNotContain("x", next?[(next.IndexOf("last=", StringComparison.Ordinal) + 5)..] ?? "");
        }
        Assert.Equal(readable, seen);

        var image = await AccessServer.PushImageAsync(admin, "page/r0", "t0");
        for (int i = 1; i < 6; i++)
            using (var put = await admin.PutManifestAsync("page/r0", $"t{i}", image.Manifest, "application/vnd.oci.image.manifest.v1+json"))
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using (var tags = await client.GetAsync("/v2/page/r0/tags/list?n=1000000000"))
        {
            var list = (await AccessServer.ExpectAsync(tags, HttpStatusCode.OK, "tags"))["tags"]!.AsArray();
            Assert.Equal(3, list.Count);
            Assert.True(tags.Headers.Contains("Link"));
        }
        using (var tags = await client.GetAsync("/v2/page/r0x/tags/list?n=1000000000"))
            Assert.Equal(HttpStatusCode.Forbidden, tags.StatusCode);
    }
}
