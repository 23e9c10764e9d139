using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Bollard.Benchmarks;

internal static class Net
{
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static async Task<bool> WaitHttpAsync(Uri uri, TimeSpan timeout)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                using var response = await http.GetAsync(uri).ConfigureAwait(false);
                return true;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100).ConfigureAwait(false);
        }
        return false;
    }
}

/// <summary>What the machine itself can do, so the registries' figures can be read against it.</summary>
internal static class MachineLimits
{
    /// <summary>One TCP stream over 127.0.0.1, 1 MiB writes, 256 KiB reads: the ceiling of any one-connection push or pull.</summary>
    public static async Task<string> LoopbackAsync(long length)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var receiver = Task.Run(async () =>
        {
            using var s = await listener.AcceptAsync().ConfigureAwait(false);
            byte[] buffer = new byte[256 * 1024];
            long total = 0;
            int n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0) total += n;
            return total;
        });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!).ConfigureAwait(false);
        byte[] data = new byte[1024 * 1024];
        Random.Shared.NextBytes(data);
        var watch = Stopwatch.StartNew();
        for (long sent = 0; sent < length;)
        {
            int n = (int)Math.Min(data.Length, length - sent);
            sent += await client.SendAsync(data.AsMemory(0, n), SocketFlags.None).ConfigureAwait(false);
        }
        client.Shutdown(SocketShutdown.Send);
        long received = await receiver.ConfigureAwait(false);
        watch.Stop();
        if (received != length) throw new BenchException($"loopback received {received} of {length} bytes");
        return BlobClient.Line(received, watch.Elapsed);
    }

    /// <summary>SHA-256 as Bollard runs it (IncrementalHash, i.e. OpenSSL on Linux), one thread, data in memory.</summary>
    public static string Sha256(long length)
    {
        byte[] data = new byte[256 * 1024];
        Random.Shared.NextBytes(data);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(data); // warm up
        hash.GetHashAndReset();
        var watch = Stopwatch.StartNew();
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(data.Length, length - done);
            hash.AppendData(data, 0, n);
            done += n;
        }
        hash.GetHashAndReset();
        watch.Stop();
        return BlobClient.Line(length, watch.Elapsed);
    }
}
