using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Tls;

/// <summary>
/// The HTTPS client side shared by MTA-STS policy fetches (RFC 8461 3.3) and TLSRPT report posts (RFC 8460 5.4):
/// a socket to an address we resolved ourselves, and TLS whose certificate is checked by our own PKIX with no
/// network access (no AIA, OCSP or CRL fetches, neither by SslStream's chain nor by ours).
/// </summary>
internal static class OfflinePkixHttps
{
    /// <summary>Connects a socket (Nagle off) to <paramref name="address"/>; the stream owns it.</summary>
    public static async ValueTask<Stream> ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// TLS options for <paramref name="host"/>: the certificate is accepted only when our PKIX verification
    /// (against <paramref name="roots"/>, or the system's when null) passes; <paramref name="verified"/> gets the
    /// verification either way, so the caller can say why a connection failed.
    /// </summary>
    public static SslClientAuthenticationOptions ClientOptions(string host, X509Certificate2Collection? roots, TimeProvider time, Action<PkixVerification> verified) => new()
    {
        TargetHost = host,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = PkixVerification.OfflineChainPolicy(),
        RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
        {
            if (certificate is null)
            {
                return false;
            }
            var leaf = new X509Certificate2(certificate);
            var sent = new List<X509Certificate2> { leaf };
            try
            {
                sent.AddRange((chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>() ?? []).Select(x => new X509Certificate2(x)));
                var result = PkixVerification.Verify(leaf, sent, host, roots, time);
                verified(result);
                return result.Verified;
            }
            finally
            {
                // Our copies only (the verdict holds no certificate); SslStream keeps its own.
                foreach (var copy in sent)
                {
                    copy.Dispose();
                }
            }
        },
    };
}
