using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Bollard.IntegrationTests.CrashSafety;

/// <summary>
/// Everything that must hold after a SIGKILL and a restart, checked three ways: through the HTTP API against the
/// ledger of acknowledged pushes, in the SQLite file directly, and on the blob folder.
/// </summary>
internal static partial class CrashVerifier
{
    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();

    public static async Task<List<string>> VerifyAsync(BollardProcess server, string dataDir, PushLedger ledger)
    {
        var problems = new List<string>();
        void Problem(string p) { lock (problems) problems.Add(p); }
        var client = server.Client;

        using (var ping = await client.GetAsync("/v2/"))
            if (ping.StatusCode != HttpStatusCode.OK) Problem($"GET /v2/ answered {(int)ping.StatusCode}");

        // 1. Every acknowledged blob is served whole, with its digest, from every repository it was pushed or mounted to.
        await Parallel.ForEachAsync(ledger.Blobs.ToList(), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (blob, ct) =>
        {
            var ((repo, digest), size) = blob;
            using var response = await client.GetAsync($"/v2/{repo}/blobs/{digest}", ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Problem($"acknowledged blob {repo}@{digest} ({size} bytes): GET answered {(int)response.StatusCode}");
                return;
            }
            byte[] bytes = await response.Content.ReadAsByteArrayAsync(ct);
            if (bytes.Length != size || RegistryTestClient.Sha256(bytes) != digest)
                Problem($"acknowledged blob {repo}@{digest}: GET returned {bytes.Length} bytes hashing to {RegistryTestClient.Sha256(bytes)}");
        });

        // 2. Every acknowledged manifest, by digest, with the exact pushed bytes.
        await Parallel.ForEachAsync(ledger.Manifests.Values.ToList(), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (m, ct) =>
        {
            var (status, bytes, _) = await GetManifestAsync(client, m.Repo, m.Digest, ct);
            if (status != HttpStatusCode.OK) Problem($"acknowledged manifest {m.Repo}@{m.Digest}: GET answered {(int)status}");
            else if (!bytes.AsSpan().SequenceEqual(m.Content)) Problem($"acknowledged manifest {m.Repo}@{m.Digest}: served bytes differ");
        });

        // 3. Every acknowledged tag still points at its manifest.
        await Parallel.ForEachAsync(ledger.Tags.ToList(), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (t, ct) =>
        {
            var ((repo, tag), digest) = t;
            var (status, bytes, served) = await GetManifestAsync(client, repo, tag, ct);
            if (status != HttpStatusCode.OK) Problem($"acknowledged tag {repo}:{tag}: GET answered {(int)status}");
            else if (served != digest || RegistryTestClient.Sha256(bytes) != digest) Problem($"acknowledged tag {repo}:{tag} -> {digest}, served {served}");
        });

        // 4. Moving tags: the last acknowledged value, or the push the kill interrupted. What is there now is durable.
        foreach (var moving in ledger.Moving)
        {
            if (moving is null) continue;
            var (status, _, served) = await GetManifestAsync(client, moving.Repo, moving.Tag, CancellationToken.None);
            string? now = status == HttpStatusCode.OK ? served : null;
            if (now != moving.Acked && now != moving.InFlight)
                Problem($"moving tag {moving.Repo}:{moving.Tag} is {now ?? $"absent ({(int)status})"}; acknowledged {moving.Acked ?? "none"}, in flight {moving.InFlight ?? "none"}");
            moving.Acked = now;
            moving.InFlight = null;
        }

        // 5. The blob folder: every file is named by the hash of its bytes, at blobs/sha256/<first two>/<hex>.
        var files = new Dictionary<string, long>(StringComparer.Ordinal); // digest -> size
        string blobRoot = Path.Combine(dataDir, "blobs");
        foreach (string path in Directory.EnumerateFiles(blobRoot, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(blobRoot, path);
            string[] parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Length != 3 || parts[0] != "sha256" || !Sha256Hex().IsMatch(parts[2]) || parts[1] != parts[2][..2])
            {
                Problem($"stray file in the blob folder: blobs/{relative}");
                continue;
            }
            await using var stream = File.OpenRead(path);
            string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
            if (actual != parts[2]) Problem($"blob file blobs/{relative} hashes to {actual}");
            else files["sha256:" + actual] = stream.Length;
        }

        // 6. The database, read directly while the server runs (WAL lets a reader in).
        await using var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, "bollard.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        await db.OpenAsync();
        var integrity = Query(db, "PRAGMA integrity_check", r => r.GetString(0));
        if (integrity is not ["ok"]) Problem("PRAGMA integrity_check: " + string.Join("; ", integrity));
        foreach (var fk in Query(db, "PRAGMA foreign_key_check", r => $"{r.GetValue(0)} rowid {r.GetValue(1)} -> {r.GetValue(2)}"))
            Problem("PRAGMA foreign_key_check: " + fk);

        var linked = Query(db,
            "SELECT r.name, b.digest, b.size FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id",
            r => (Repo: r.GetString(0), Digest: r.GetString(1), Size: r.GetInt64(2)));
        var links = linked.Select(l => (l.Repo, l.Digest)).ToHashSet();
        foreach (var (repo, digest, size) in linked)
        {
            if (!files.TryGetValue(digest, out long fileSize)) Problem($"repository_blobs links {repo} to {digest}, whose blob file is missing");
            else if (fileSize != size) Problem($"repository_blobs says {digest} is {size} bytes, the file is {fileSize}");
        }

        var manifests = Query(db,
            "SELECT r.name, m.digest, m.content FROM manifests m JOIN repositories r ON r.id = m.repository_id",
            r => (Repo: r.GetString(0), Digest: r.GetString(1), Content: (byte[])r.GetValue(2)));
        var manifestKeys = manifests.Select(m => (m.Repo, m.Digest)).ToHashSet();
        foreach (var (repo, digest, content) in manifests)
            if (RegistryTestClient.Sha256(content) != digest) Problem($"manifests row {repo}@{digest} holds content hashing to {RegistryTestClient.Sha256(content)}");

        var references = Query(db,
            "SELECT r.name, x.manifest_digest, x.kind, x.digest FROM manifest_references x JOIN repositories r ON r.id = x.repository_id",
            r => (Repo: r.GetString(0), Manifest: r.GetString(1), Kind: r.GetString(2), Digest: r.GetString(3)));
        foreach (var (repo, manifest, kind, digest) in references)
        {
            if (kind == "b")
            {
                if (!files.ContainsKey(digest)) Problem($"manifest {repo}@{manifest} references blob {digest}, whose file is missing");
                if (!links.Contains((repo, digest))) Problem($"manifest {repo}@{manifest} references blob {digest}, which is not linked into {repo}");
            }
            else if (!manifestKeys.Contains((repo, digest)))
                Problem($"index {repo}@{manifest} references manifest {digest}, which is not in {repo}");
        }
        // Every stored manifest's references were recorded: an image manifest always needs its config.
        var referencing = references.Select(r => (r.Repo, r.Manifest)).ToHashSet();
        foreach (var (repo, digest, _) in manifests)
            if (!referencing.Contains((repo, digest))) Problem($"manifest {repo}@{digest} has no manifest_references rows");

        foreach (var (repo, tag, digest) in Query(db,
                     "SELECT r.name, t.name, t.manifest_digest FROM tags t JOIN repositories r ON r.id = t.repository_id",
                     r => (r.GetString(0), r.GetString(1), r.GetString(2))))
            if (!manifestKeys.Contains((repo, digest))) Problem($"tag {repo}:{tag} points at {digest}, which is not stored");

        return problems;
    }

    /// <summary>Finishes chunked uploads that the kill interrupted, from the offset the restarted server reports.</summary>
    public static async Task ResumePendingUploadsAsync(BollardProcess server, PushLedger ledger)
    {
        for (int w = 0; w < ledger.Pending.Length; w++)
        {
            if (ledger.Pending[w] is not { } pending) continue;
            ledger.Pending[w] = null;
            bool Fail(string what, HttpResponseMessage response, string body)
            {
                ledger.Error($"resuming {pending.Repo} upload {pending.Location} (acknowledged {pending.AckedOffset} of {pending.Data.Length} bytes): {what}: {(int)response.StatusCode} {body}");
                return false;
            }

            using var status = await server.Client.GetAsync(pending.Location);
            if (status.StatusCode == HttpStatusCode.NotFound && pending.Closing)
            {
                // The closing PUT got far enough to consume the session. Whether the blob made it into the
                // repository is up to where the kill landed; either way is allowed, as it was never acknowledged.
                continue;
            }
            if (status.StatusCode != HttpStatusCode.NoContent)
            {
                Fail("GET status after the restart", status, await status.Content.ReadAsStringAsync());
                continue;
            }
            string range = status.Headers.TryGetValues("Range", out var r) ? r.Single() : "";
            if (!range.StartsWith("0-", StringComparison.Ordinal) || !long.TryParse(range.AsSpan(2), out long last))
            {
                Fail($"status Range '{range}'", status, "");
                continue;
            }
            // "0-0" means 0 or 1 bytes (CNCF Distribution's convention). With nothing acknowledged, probe by sending
            // byte 1 at offset 1: only an upload that holds exactly one byte accepts it (others answer 416).
            long have = last + 1;
            if (last == 0 && pending.AckedOffset == 0)
            {
                have = 0;
                if (pending.Data.Length >= 2)
                {
                    using var probe = new HttpRequestMessage(HttpMethod.Patch, pending.Location) { Content = new ByteArrayContent(pending.Data, 1, 1) };
                    probe.Content.Headers.TryAddWithoutValidation("Content-Range", "1-1");
                    using var answer = await server.Client.SendAsync(probe);
                    if (answer.StatusCode == HttpStatusCode.Accepted) have = 2;
                }
            }
            if (have < pending.AckedOffset || have > pending.Data.Length)
            {
                Fail($"status Range '{range}' is not between the acknowledged offset and the blob size", status, "");
                continue;
            }
            string digest = RegistryTestClient.Sha256(pending.Data);
            long remaining = pending.Data.Length - have;
            if (remaining > 0 && !await CrashPusher.PatchAsync(server.Client, pending.Location, pending.Data, have, (int)remaining, Fail, CancellationToken.None))
                continue;
            if (!await CrashPusher.PutUploadAsync(server.Client, pending.Location, digest, pending.Data, pending.Data.Length, Fail, CancellationToken.None))
                continue;
            ledger.Blobs[(pending.Repo, digest)] = pending.Data.Length;
            Interlocked.Increment(ref ledger.Resumed);
        }
    }

    private static async Task<(HttpStatusCode Status, byte[] Body, string? Digest)> GetManifestAsync(HttpClient client, string repo, string reference, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{reference}");
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.index.v1+json"));
        using var response = await client.SendAsync(request, ct);
        byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
        string? digest = response.Headers.TryGetValues("Docker-Content-Digest", out var d) ? d.Single() : null;
        return (response.StatusCode, body, digest);
    }

    private static List<T> Query<T>(SqliteConnection db, string sql, Func<SqliteDataReader, T> map)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(map(reader));
        return rows;
    }
}
