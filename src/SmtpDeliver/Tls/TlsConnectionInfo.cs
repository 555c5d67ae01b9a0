using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Tls;

/// <summary>What was negotiated on a TLS connection, for logging, reporting and SASL channel binding.</summary>
public sealed record TlsConnectionInfo
{
    /// <summary>The negotiated protocol version.</summary>
    public required SslProtocols Protocol { get; init; }

    /// <summary>The negotiated cipher suite.</summary>
    public required TlsCipherSuite CipherSuite { get; init; }

    /// <summary>The server name sent in SNI; empty when none was sent.</summary>
    public required string ServerName { get; init; }

    /// <summary>The certificates exactly as the server sent them, leaf first.</summary>
    public required IReadOnlyList<X509Certificate2> PeerCertificates { get; init; }

    /// <summary>
    /// The "tls-unique" channel binding (RFC 5929), the first Finished message of the handshake; only on
    /// TLS 1.2 and older, <c>null</c> when not available (TLS 1.3 has no tls-unique).
    /// </summary>
    public byte[]? TlsUnique { get; init; }

    /// <summary>The protocol as mox and Postfix log it, e.g. "tls1.3".</summary>
    public string VersionName => Protocol switch
    {
        SslProtocols.Tls13 => "tls1.3",
        SslProtocols.Tls12 => "tls1.2",
        _ => Protocol.ToString().ToLowerInvariant(),
    };
}
