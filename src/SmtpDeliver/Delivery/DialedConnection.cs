using System.Net.Sockets;
using System.Net;

namespace SmtpDeliver.Delivery;

/// <summary>A connection the dialer made, and to which address.</summary>
/// <param name="Socket">The connected socket, with Nagle off.</param>
/// <param name="Address">The address connected to.</param>
public sealed record DialedConnection(Socket Socket, IPAddress Address) : IDisposable
{
    /// <summary>Closes the socket (when not handed to a client, which then owns it).</summary>
    public void Dispose() => Socket.Dispose();
}
