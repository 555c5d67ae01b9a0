using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Diagnostics;
using SmtpDeliver.Tls;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver;

public sealed partial class SmtpClientSession
{
    private async Task HandshakeAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        var observer = new HandshakeObserverStream(_transport.Raw);
        var verifier = new CertificateVerifier(_remoteHostname, _verifyPkix, _options, Details, _recipientDomainResult, _hostResult, _logger);
        var ssl = new SslStream(observer, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            // An empty name sends no SNI and verifies no name (RFC 6066 3).
            TargetHost = _remoteHostname.Ascii,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // SslStream builds its own chain before calling our callback: it must not fetch what the
            // server's certificate names (AIA, OCSP, CRL) either, PKIX enforced or not.
            CertificateChainPolicy = PkixVerification.OfflineChainPolicy(),
            AllowRenegotiation = false,
            RemoteCertificateValidationCallback = verifier.Validate,
        };
        if (_options.ClientCertificate is { } clientCertificate)
        {
            options.ClientCertificates = [clientCertificate];
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        // One deadline for the whole handshake, within the session's deadline, on the session's clock.
        using var timeout = TimeoutSource.Start(_options.TimeProvider, _transport.SessionTimeLeft is { } left && left < _timeouts.TlsHandshake ? left : _timeouts.TlsHandshake, cancellationToken);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _transport.Broken = true;
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            string message;
            if (verifier.Rejected)
            {
                // Already recorded by the verifier; count the failed session only (RFC 8460 4.3).
                AddTlsResult(0, 1);
                message = $"tls certificate verification failed: {verifier.RejectionReason}";
                _metrics.CountTlsHandshake(TlsOutcome.Failed, verifier.Dane is { Verified: false } ? ResultType.ValidationFailure : verifier.Pkix is { Verified: false } pkix ? pkix.ResultType : ResultType.ValidationFailure);
            }
            else
            {
                var (resultType, reason) = TlsHandshakeFailure.Classify(e, observer, timeout.IsCancellationRequested);
                AddTlsResult(0, 1, Details(resultType, reason));
                message = $"tls handshake failed: {(reason.Length > 0 ? reason : e.Message)}";
                _metrics.CountTlsHandshake(TlsOutcome.Failed, resultType);
            }
            throw new SmtpException(SmtpErrorReason.Tls, false, command, message, null, e);
        }

        _transport.UpgradeTo(ssl);
        _firstReadAfterHandshake = true;
        Pkix = verifier.Pkix;
        Dane = verifier.Dane;
        Tls = new TlsConnectionInfo
        {
            Protocol = ssl.SslProtocol,
            CipherSuite = ssl.NegotiatedCipherSuite,
            ServerName = _remoteHostname.Ascii,
            PeerCertificates = verifier.PeerCertificates,
            TlsUnique = ChannelBindingData.TryGetTlsUnique(ssl),
        };
        // RFC 8460 4.3: a negotiated session counts as a success.
        AddTlsResult(1, 0);
        // Counted at the first reply after it (SmtpClientSession.ReadAsync), as the server may still refuse.
        _pendingTlsHandshake = Dane is { Verified: true } ? (TlsOutcome.Dane, null)
            : Pkix is { Verified: true } ? (TlsOutcome.Pkix, null)
            : (TlsOutcome.Unverified, Dane is { Verified: false } ? ResultType.ValidationFailure : Pkix?.ResultType);
        SmtpActivitySource.SetTls(_activity, Tls.Protocol);
        Log.TlsHandshakeDone(_logger, Tls.Protocol, Tls.CipherSuite, _remoteHostname.Ascii, Pkix?.Verified ?? false);
    }
}
