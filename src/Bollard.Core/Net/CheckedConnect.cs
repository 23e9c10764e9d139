using System.Net;
using System.Net.Sockets;

namespace Bollard.Core.Net;

/// <summary>
/// The connect half of a <see cref="System.Net.Http.SocketsHttpHandler.ConnectCallback"/> that checks where it goes:
/// the caller resolves (<see cref="ResolveAsync"/>), drops the addresses its own policy refuses (the webhook
/// destinations, the mirror's upstream guard), and connects to the first remaining one that answers
/// (<see cref="ConnectFirstAsync"/>). The check runs on the resolved address, so DNS rebinding does not get past it.
/// </summary>
public static class CheckedConnect
{
    /// <summary>An IP literal (with or without brackets) as itself, a name through DNS.</summary>
    public static async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(host);
        return IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
    }

    /// <summary>Connects to the first of <paramref name="addresses"/> that answers, in order.</summary>
    /// <exception cref="SocketException">The last address's failure, when none answered.</exception>
    public static async ValueTask<Stream> ConnectFirstAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfZero(addresses.Count);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }
}
