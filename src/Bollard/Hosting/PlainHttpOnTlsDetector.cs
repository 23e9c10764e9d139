using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Bollard.Hosting;

/// <summary>
/// A connection middleware in front of TLS: a TLS connection starts with a handshake record (byte 0x16); a plain
/// HTTP request starts with a method name in capital letters. The latter gets a readable
/// <c>400 ... this port speaks HTTPS</c> and the connection closes, instead of the empty reply a TLS listener gives.
/// Nothing is consumed from a TLS connection: the handshake continues as if this middleware were not there.
/// </summary>
public sealed class PlainHttpOnTlsDetector(ConnectionDelegate next)
{
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
        var buffer = result.Buffer;
        if (buffer.IsEmpty)
        {
            input.AdvanceTo(buffer.Start);
            if (result.IsCompleted) return;
            await next(connection).ConfigureAwait(false);
            return;
        }
        byte first = buffer.FirstSpan[0];
        if (first is < (byte)'A' or > (byte)'Z')
        {
            input.AdvanceTo(buffer.Start, buffer.Start);
            await next(connection).ConfigureAwait(false);
            return;
        }
        input.AdvanceTo(buffer.End);
        string host = connection.LocalEndPoint?.ToString() ?? "this address";
        string body = $"This port speaks HTTPS: use https://{host}/ (the request was plain HTTP).\n";
        string response = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n" +
                          $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
        await connection.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes(response), connection.ConnectionClosed).ConfigureAwait(false);
        await connection.Transport.Output.FlushAsync(connection.ConnectionClosed).ConfigureAwait(false);
    }
}
