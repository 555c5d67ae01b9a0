using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver;

public sealed partial class SmtpClientSession
{
    private async Task HelloAsync(TlsMode tlsMode, Domain ehloHostname, CancellationToken cancellationToken)
    {
        // RFC 5321 4.3.1: the greeting must be 220.
        var greeting = await ReadAsync(SmtpCommand.Greeting, _timeouts.Greeting, cancellationToken, enhancedCodes: false).ConfigureAwait(false);
        if (greeting.Code != 220)
        {
            throw Status(greeting, SmtpCommand.Greeting, "220");
        }
        // RFC 5321 4.2: the text after the code starts with the server's name.
        var space = greeting.Line.IndexOf(' ', StringComparison.Ordinal);
        RemoteGreeting = space >= 0 ? greeting.Line[(space + 1)..] : string.Empty;

        await EhloAsync(ehloHostname, heloFallback: true, cancellationToken).ConfigureAwait(false);
        SupportsStartTls = Extensions.StartTls;

        if ((tlsMode == TlsMode.Opportunistic && Extensions.StartTls) || tlsMode == TlsMode.RequiredStartTls)
        {
            await StartTlsAsync(cancellationToken).ConfigureAwait(false);
            // RFC 3207 4.2: forget what was learnt before TLS; only the new EHLO counts.
            Extensions = EhloExtensions.None;
            await EhloAsync(ehloHostname, heloFallback: false, cancellationToken).ConfigureAwait(false);
        }
        else if (tlsMode == TlsMode.Opportunistic)
        {
            // RFC 8460 4.3: a server without STARTTLS is reported, without counting a session.
            AddTlsResult(0, 0, Details(ResultType.StartTlsNotSupported, string.Empty));
        }
    }

    private async Task EhloAsync(Domain ehloHostname, bool heloFallback, CancellationToken cancellationToken)
    {
        _transport.BeginLine();
        _transport.Append("EHLO ");
        _transport.Append(ehloHostname.Ascii);
        _transport.EndLine();
        await FlushAsync(SmtpCommand.Ehlo, cancellationToken).ConfigureAwait(false);
        var reply = await ReadAsync(SmtpCommand.Ehlo, _timeouts.Command, cancellationToken, enhancedCodes: false).ConfigureAwait(false);
        switch (reply.Code)
        {
            case 250:
                Extensions = EhloExtensions.Parse(reply.MoreTexts);
                return;
            case 500 or 501 or 502 or 503 or 504 when heloFallback:
                // RFC 5321 4.1.4: a server that does not know EHLO gets HELO.
                break;
            case 500 or 501 or 502 or 503 or 504:
                throw new SmtpException(SmtpErrorReason.Protocol, true, SmtpCommand.Ehlo, "server claims ehlo is not supported after tls",
                    reply.ToResponse(SmtpCommand.Ehlo, true, SmtpErrorReason.Protocol));
            default:
                throw Status(reply, SmtpCommand.Ehlo, "250");
        }
        _transport.BeginLine();
        _transport.Append("HELO ");
        _transport.Append(ehloHostname.Ascii);
        _transport.EndLine();
        await FlushAsync(SmtpCommand.Helo, cancellationToken).ConfigureAwait(false);
        var helo = await ReadAsync(SmtpCommand.Helo, _timeouts.Command, cancellationToken, enhancedCodes: false).ConfigureAwait(false);
        if (helo.Code != 250)
        {
            throw Status(helo, SmtpCommand.Helo, "250");
        }
        Extensions = EhloExtensions.None;
    }

    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        _transport.WriteLine("STARTTLS");
        await FlushAsync(SmtpCommand.StartTls, cancellationToken).ConfigureAwait(false);
        var reply = await ReadAsync(SmtpCommand.StartTls, _timeouts.Command, cancellationToken).ConfigureAwait(false);
        if (reply.Code != 220)
        {
            var permanent = reply.Class == 5;
            AddTlsResult(0, 1, Details(ResultType.StartTlsNotSupported, $"smtp-starttls-reply-code-{reply.Code}"));
            throw new SmtpException(SmtpErrorReason.Tls, permanent, SmtpCommand.StartTls, $"STARTTLS refused: got {reply.Code}, expected 220",
                reply.ToResponse(SmtpCommand.StartTls, permanent, SmtpErrorReason.Tls));
        }
        if (_transport.BufferedBytes > 0)
        {
            // Nothing may come between the 220 and our ClientHello (RFC 3207 5): such bytes are an
            // injection attempt, never to be read as SMTP replies, nor fed into the handshake.
            AddTlsResult(0, 1, Details(ResultType.ValidationFailure, "starttls-response-injection"));
            throw _transport.Break(SmtpErrorReason.Tls, SmtpCommand.StartTls,
                $"server sent {_transport.BufferedBytes} bytes after its STARTTLS reply, before the tls handshake", reply.Line, null);
        }
        await HandshakeAsync(SmtpCommand.StartTls, cancellationToken).ConfigureAwait(false);
    }
}
