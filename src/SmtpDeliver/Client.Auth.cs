using SmtpDeliver.Sasl;
using SmtpDeliver.Smtp;

namespace SmtpDeliver;

public sealed partial class Client
{
    // RFC 4954 4: AUTH with optional initial response, 334 challenges, 235 on success, "*" to cancel.
    private async Task AuthenticateAsync(SaslClientSelector selector, CancellationToken cancellationToken)
    {
        var mechanisms = Extensions.AuthMechanisms;
        ISaslClient? sasl;
        try
        {
            sasl = selector(mechanisms, Tls);
        }
        catch (SaslException e)
        {
            throw new SmtpException(SmtpErrorReason.Authentication, true, SmtpCommand.Auth,
                $"choosing authentication mechanism: {e.Message}; server supports {string.Join(", ", mechanisms)}", null, e);
        }
        if (sasl is null)
        {
            throw new SmtpException(SmtpErrorReason.Authentication, true, SmtpCommand.Auth,
                $"no matching authentication mechanism; server supports {(mechanisms.Count > 0 ? string.Join(", ", mechanisms) : "none")}");
        }
        if (sasl.SendsCleartextCredentials && Tls is null && !_options.AllowCleartextAuthWithoutTls)
        {
            throw new SmtpException(SmtpErrorReason.CleartextAuthentication, true, SmtpCommand.Auth,
                $"refusing authentication mechanism {sasl.Name} on a connection without tls: it would send credentials in cleartext");
        }

        var step = NextStep(sasl, null, "initial step");
        _transport.BeginLine();
        _transport.Append("AUTH ");
        _transport.Append(sasl.Name);
        if (step.ToServer is { } initial)
        {
            _transport.Append(" ");
            _transport.MarkSensitive();
            // RFC 4954 4: an empty initial response is sent as "=".
            _transport.Append(initial.Length == 0 ? "=" : Convert.ToBase64String(initial));
        }
        _transport.EndLine();
        await FlushAsync(SmtpCommand.Auth, cancellationToken).ConfigureAwait(false);

        while (true)
        {
            // Enhanced codes are parsed on any verdict, even when not announced: servers send them there,
            // also when they end the exchange before the mechanism's last step (mox parses them only then).
            var reply = await ReadAsync(SmtpCommand.Auth, _timeouts.Command, cancellationToken, enhancedCodes: true).ConfigureAwait(false);
            if (reply.Code == 235)
            {
                if (step.Last)
                {
                    return;
                }
                throw AuthError(reply, false, "server completed authentication earlier than the mechanism expected");
            }
            if (reply.Code != 334)
            {
                throw AuthError(reply, reply.Class == 5, $"unexpected reply to authentication: got {reply.Code}, expected 334 or 235");
            }
            if (step.Last && !sasl.AnswersErrorChallenge)
            {
                throw AuthError(reply, false, "server asked for another authentication step after the mechanism's last");
            }
            if (reply.MoreLines.Count > 0)
            {
                await AbortAuthenticationAsync("server sent a multi-line authentication challenge", null, cancellationToken).ConfigureAwait(false);
            }
            byte[] challenge;
            try
            {
                challenge = Convert.FromBase64String(reply.LastText);
            }
            catch (FormatException e)
            {
                await AbortAuthenticationAsync("malformed base64 in authentication challenge", e, cancellationToken).ConfigureAwait(false);
                throw;
            }
            try
            {
                step = sasl.NextStep(challenge);
            }
            catch (SaslException e)
            {
                await AbortAuthenticationAsync($"authentication mechanism {sasl.Name} failed: {e.Message}", e, cancellationToken).ConfigureAwait(false);
                throw;
            }
            _transport.BeginLine();
            _transport.MarkSensitive();
            if (step.ToServer is { Length: > 0 } response)
            {
                _transport.Append(Convert.ToBase64String(response));
            }
            _transport.EndLine();
            await FlushAsync(SmtpCommand.Auth, cancellationToken).ConfigureAwait(false);
        }
    }

    private static SaslStep NextStep(ISaslClient sasl, byte[]? challenge, string what)
    {
        try
        {
            return sasl.NextStep(challenge);
        }
        catch (SaslException e)
        {
            throw new SmtpException(SmtpErrorReason.Authentication, false, SmtpCommand.Auth, $"{what} of authentication mechanism {sasl.Name}: {e.Message}", null, e);
        }
    }

    private static SmtpException AuthError(Reply reply, bool permanent, string message) =>
        new(SmtpErrorReason.Authentication, permanent, SmtpCommand.Auth, message, reply.ToResponse(SmtpCommand.Auth, permanent, SmtpErrorReason.Authentication));

    /// <summary>Cancels the exchange with "*" (RFC 4954 4) and throws; a reply other than 501 leaves the session in doubt.</summary>
    private async Task AbortAuthenticationAsync(string problem, Exception? cause, CancellationToken cancellationToken)
    {
        _transport.WriteLine("*");
        await FlushAsync(SmtpCommand.Auth, cancellationToken).ConfigureAwait(false);
        var reply = await ReadAsync(SmtpCommand.Auth, _timeouts.Command, cancellationToken, enhancedCodes: true).ConfigureAwait(false);
        if (reply.Code != 501)
        {
            _transport.Broken = true;
        }
        throw new SmtpException(SmtpErrorReason.Authentication, false, SmtpCommand.Auth, $"client aborted authentication: {problem}",
            reply.ToResponse(SmtpCommand.Auth, false, SmtpErrorReason.Authentication), cause);
    }
}
