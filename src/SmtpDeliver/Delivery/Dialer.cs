using System.Net.Sockets;
using System.Net;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>
/// Connects to a host's addresses in order until one answers (RFC 5321 5.1). It keeps no state between
/// calls, so one dialer serves concurrent deliveries; what was dialed goes into the caller's
/// <see cref="DialHistory"/>, kept per message.
/// </summary>
public sealed class Dialer
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How to connect; the default connects directly.</summary>
    public ConnectFunction Connect { get; init; } = ConnectDirectAsync;

    /// <summary>Local addresses to bind, at most one per family is used.</summary>
    public IReadOnlyList<IPAddress> LocalAddresses { get; init; } = [];

    /// <summary>
    /// The clock for the per-address timeouts and for the time left until a deadline;
    /// <see cref="TimeProvider.System"/> by default. A <see cref="Deliverer"/> dials on its own
    /// <see cref="DeliveryOptions.TimeProvider"/>, whatever this says.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>This dialer on the clock <paramref name="timeProvider"/>: itself when it is on it already.</summary>
    internal Dialer On(TimeProvider timeProvider) => ReferenceEquals(TimeProvider, timeProvider)
        ? this
        : new Dialer { Connect = Connect, LocalAddresses = LocalAddresses, TimeProvider = timeProvider };

    /// <summary>
    /// Connects to the first address that answers. Each address gets 30 s, or the time left until
    /// <paramref name="deadline"/> divided by the number of addresses.
    /// </summary>
    /// <exception cref="SocketException">No address answered; the last error.</exception>
    /// <param name="host">The host, for <paramref name="history"/>.</param>
    /// <param name="addresses">The addresses in the order to try.</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="deadline">When all attempts must be done.</param>
    /// <param name="history">Where the dialed address is noted, when given.</param>
    /// <param name="cancellationToken">Cancels dialing.</param>
    /// <exception cref="ArgumentException">No addresses were given.</exception>
    public async Task<DialedConnection> DialAsync(IPDomain host, IReadOnlyList<IPAddress> addresses, int port, DateTimeOffset? deadline = null, DialHistory? history = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count == 0)
        {
            throw new ArgumentException($"no addresses to dial for {host}", nameof(addresses));
        }
        var timeout = deadline is { } d ? (d - TimeProvider.GetUtcNow()) / addresses.Count : DefaultTimeout;
        if (timeout <= TimeSpan.Zero)
        {
            timeout = TimeSpan.FromMilliseconds(1);
        }
        Exception? last = null;
        foreach (var address in addresses)
        {
            var local = LocalAddresses.FirstOrDefault(l => l.AddressFamily == address.AddressFamily);
            using var perAddress = TimeoutSource.Start(TimeProvider, timeout, cancellationToken);
            try
            {
                var socket = await Connect(new IPEndPoint(address, port), local, perAddress.Token).ConfigureAwait(false);
                socket.NoDelay = true;
                history?.Record(host, address);
                return new DialedConnection(socket, address);
            }
            catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = e is OperationCanceledException ? new SocketException((int)SocketError.TimedOut) : e;
            }
        }
        throw last as SocketException ?? new SocketException((int)SocketError.HostUnreachable);
    }

    /// <summary>Connects a new TCP socket, bound to <paramref name="local"/> when given.</summary>
    public static async Task<Socket> ConnectDirectAsync(IPEndPoint remote, IPAddress? local, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (local is not null)
            {
                socket.Bind(new IPEndPoint(local, 0));
            }
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
