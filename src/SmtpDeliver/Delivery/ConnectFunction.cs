using System.Net.Sockets;
using System.Net;

namespace SmtpDeliver.Delivery;

/// <summary>Opens a TCP connection; replace it to go through a proxy. The default connects directly.</summary>
/// <param name="remote">Where to connect.</param>
/// <param name="local">The local address to bind, or <c>null</c>.</param>
/// <param name="cancellationToken">Cancels, also on the dialer's per-address timeout.</param>
public delegate Task<Socket> ConnectFunction(IPEndPoint remote, IPAddress? local, CancellationToken cancellationToken);
