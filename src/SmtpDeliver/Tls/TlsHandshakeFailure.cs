using System.Net.Sockets;
using System.Security.Cryptography;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tls;

/// <summary>
/// Maps a failed TLS handshake, or a failed first read after it, to a TLSRPT result type and reason
/// code (RFC 8460 4.3), as mox does for Go's errors.
/// </summary>
/// <remarks>
/// .NET reports TLS alerts only through the platform's error codes. On Linux (OpenSSL 3) an alert
/// received from the server is the OpenSSL reason 1000 + alert number in the SSL library's error code,
/// which the innermost exception carries in its HResult; that gives "tls-remote-alert-N-name". Alerts the
/// client itself sends cannot be told apart from other local errors, so those get an empty reason.
/// </remarks>
internal static class TlsHandshakeFailure
{
    private const int OpenSslLibSsl = 20;
    private const int OpenSslAlertReasonOffset = 1000;

    /// <summary>The result type and reason for a handshake that failed other than by our own verification.</summary>
    public static (string ResultType, string Reason) Classify(Exception error, HandshakeObserverStream observer, bool timedOut)
    {
        if (timedOut || error is TimeoutException)
        {
            return (ResultType.ValidationFailure, "io-timeout-during-handshake");
        }
        if (observer.SawNonTlsRecordHeader)
        {
            return (ResultType.ValidationFailure, "tls-record-header-error");
        }
        if (TryGetRemoteAlert(error, out var alert))
        {
            return (ResultType.ValidationFailure, "tls-remote-" + TlsAlert.Format(alert));
        }
        if (observer.SawEndOfStream || HasConnectionReset(error))
        {
            return (ResultType.ValidationFailure, "connection-closed-during-handshake");
        }
        return (ResultType.ValidationFailure, string.Empty);
    }

    /// <summary>Finds a TLS alert received from the server (other than close_notify) in an exception chain.</summary>
    public static bool TryGetRemoteAlert(Exception? error, out int alert)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is CryptographicException && !ReferenceEquals(e.GetType(), typeof(CryptographicException)))
            {
                var code = e.HResult;
                var library = (code >> 23) & 0xff;
                var reason = code & 0x7fffff;
                if (library == OpenSslLibSsl && reason > OpenSslAlertReasonOffset && reason <= OpenSslAlertReasonOffset + 255)
                {
                    alert = reason - OpenSslAlertReasonOffset;
                    return true;
                }
            }
        }
        alert = 0;
        return false;
    }

    private static bool HasConnectionReset(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown })
            {
                return true;
            }
        }
        return false;
    }
}
