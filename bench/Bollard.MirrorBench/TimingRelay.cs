using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bollard.MirrorBench;

/// <summary>
/// A TCP relay on loopback in front of the upstream that notes when it last passed a byte from the upstream to Bollard
/// (<see cref="LastDownstreamTimestamp"/>, a <see cref="Stopwatch"/> timestamp): the end of the upstream transfer,
/// on the same clock as the client's first byte. It copies bytes only (64 KiB at a time, no parsing); it is used for
/// the time-to-first-byte figure only, so its cost is in no throughput figure.
/// </summary>
internal sealed class TimingRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private long _lastDownstream;
    private long _downstreamBytes;

    private readonly long _bytesPerSecond;

    /// <param name="bytesPerSecond">When above 0, each connection's upstream-to-client bytes are paced to this rate: an
    /// upstream behind a network link slower than loopback (loopback here outruns one core's SHA-256).</param>
    public TimingRelay(int targetPort, long bytesPerSecond = 0)
    {
        _bytesPerSecond = bytesPerSecond;
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public long LastDownstreamTimestamp => Interlocked.Read(ref _lastDownstream);

    public long DownstreamBytes => Interlocked.Read(ref _downstreamBytes);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                upstream.NoDelay = true;
                await upstream.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
                var a = client.GetStream();
                var b = upstream.GetStream();
                var up = PumpAsync(a, b, downstream: false);
                var down = PumpAsync(b, a, downstream: true);
                await Task.WhenAny(up, down).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool downstream)
    {
        var buffer = new byte[64 * 1024];
        long paced = 0;
        long pacingStart = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token).ConfigureAwait(false);
                if (!downstream) continue;
                Interlocked.Add(ref _downstreamBytes, n);
                Interlocked.Exchange(ref _lastDownstream, Stopwatch.GetTimestamp());
                if (_bytesPerSecond <= 0) continue;
                // Pace from the first byte of each response burst: a pause longer than a second (the next request) restarts the clock.
                if (pacingStart == 0 || Stopwatch.GetElapsedTime(pacingStart).TotalSeconds > (double)paced / _bytesPerSecond + 1)
                {
                    pacingStart = Stopwatch.GetTimestamp();
                    paced = 0;
                }
                paced += n;
                var due = TimeSpan.FromSeconds((double)paced / _bytesPerSecond) - Stopwatch.GetElapsedTime(pacingStart);
                if (due > TimeSpan.FromMilliseconds(1)) await Task.Delay(due, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        try { to.Close(); } catch (IOException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
