using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Bollard.IntegrationTests.Mirror.Support;

/// <summary>
/// Debian's <c>docker-registry</c> (CNCF Distribution 2.8) on a loopback port with its own storage folder: the real
/// upstream of the mirror tests. It can be stopped (connections refused) and started again on the same port and storage
/// (<see cref="StopAsync"/>, <see cref="StartAsync"/>). <see cref="Client"/> talks to it directly, to seed it
/// (<c>RegistryTestClient.PushImageAsync</c> works against it) and to compare digests.
/// </summary>
public sealed class UpstreamRegistry : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _config;
    private Process? _process;

    private UpstreamRegistry(string root, int port)
    {
        _root = root;
        Port = port;
        _config = Path.Combine(root, "config.yml");
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string HostPort => $"127.0.0.1:{Port}";

    /// <summary><c>http://127.0.0.1:PORT</c>: an upstream URL for <c>Mirror:Upstreams:N:Url</c>.</summary>
    public string Url => $"http://{HostPort}";

    public HttpClient Client { get; }

    public bool Running => _process is { HasExited: false };

    /// <param name="htpasswd">With a line <c>user:bcrypt-hash</c>, the registry asks for Basic credentials (its htpasswd auth).</param>
    public static async Task<UpstreamRegistry> StartNewAsync(string? htpasswd = null)
    {
        ExternalTool.Require("docker-registry");
        int port = FreePort();
        string root = TempDir.Create("bollard-upstream-");
        var registry = new UpstreamRegistry(root, port);
        string auth = "";
        if (htpasswd is not null)
        {
            string file = Path.Combine(root, "htpasswd");
            await File.WriteAllTextAsync(file, htpasswd + "\n");
            auth = $"auth:\n  htpasswd:\n    realm: upstream\n    path: {file}\n";
        }
        await File.WriteAllTextAsync(registry._config,
            $"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n  delete:\n    enabled: true\n{auth}http:\n  addr: 127.0.0.1:{port}\n");
        await registry.StartAsync();
        return registry;
    }

    /// <summary>
    /// A registry that asks for Basic credentials (htpasswd auth) and accepts only <paramref name="user"/> with
    /// <paramref name="password"/>; <see cref="Client"/> sends them, so the test seeds it as before.
    /// </summary>
    public static async Task<UpstreamRegistry> StartNewAsync(string user, string password)
    {
        var registry = await StartNewAsync(HtpasswdLine(user, password));
        registry.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        return registry;
    }

    /// <summary>An htpasswd line <c>user:$2y$...</c> (bcrypt, the only scheme Distribution accepts), made with BouncyCastle
    /// so that no apache2-utils is needed; cost 4 (the least) as the tests check access, not the hash.</summary>
    public static string HtpasswdLine(string user, string password) =>
        $"{user}:{Org.BouncyCastle.Crypto.Generators.OpenBsdBCrypt.Generate("2y", password.ToCharArray(), RandomNumberGenerator.GetBytes(16), 4)}";

    /// <summary>Starts the registry process (again, after <see cref="StopAsync"/>) and waits until <c>/v2/</c> answers.</summary>
    public async Task StartAsync()
    {
        if (Running) return;
        var process = Process.Start(new ProcessStartInfo("docker-registry", ["serve", _config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var ready = Stopwatch.StartNew();
        using var http = new HttpClient();
        while (true)
        {
            try
            {
                using var v2 = await http.GetAsync($"{Url}/v2/");
                if (v2.IsSuccessStatusCode || v2.StatusCode == HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) when (ready.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
            }
            if (process.HasExited) throw new InvalidOperationException($"docker-registry exited with {process.ExitCode}");
            await Task.Delay(50);
        }
    }

    /// <summary>Kills the registry: its port refuses connections until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>
    /// Pushes a blob of <paramref name="size"/> pseudo-random bytes (the same bytes for the same <paramref name="seed"/>)
    /// without holding it in memory: one pass to hash, one to upload (POST, then PUT with the body). Returns the digest.
    /// </summary>
    public async Task<string> PushLargeBlobAsync(string repository, long size, int seed)
    {
        string digest;
        await using (var s = new SeededStream(size, seed))
            (digest, _) = await MirrorBlobs.HashAsync(s);
        using var start = await Client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        if (start.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"upload start: {(int)start.StatusCode}");
        var location = start.Headers.Location!;
        string sep = location.OriginalString.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        using var body = new StreamContent(new SeededStream(size, seed), 1 << 16);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        body.Headers.ContentLength = size;
        using var put = await Client.PutAsync(new Uri(location.OriginalString + sep + "digest=" + digest, UriKind.RelativeOrAbsolute), body);
        if (put.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"upload commit: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        return digest;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Client.Dispose();
        TempDir.Delete(_root);
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>
/// A read-only stream of <c>length</c> pseudo-random bytes from a seed: large test blobs without large arrays. The bytes
/// are made in fixed 64 KiB blocks, so they are the same however the reader splits its reads.
/// </summary>
public sealed class SeededStream(long length, int seed) : Stream
{
    private const int Block = 1 << 16;
    private readonly Random _random = new(seed);
    private readonly byte[] _block = new byte[Block];
    private int _blockUsed = Block;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        if (n <= 0) return 0;
        if (_blockUsed == Block)
        {
            _random.NextBytes(_block);
            _blockUsed = 0;
        }
        n = Math.Min(n, Block - _blockUsed);
        _block.AsSpan(_blockUsed, n).CopyTo(buffer);
        _blockUsed += n;
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
