using SmtpDeliver.Sasl;

namespace SmtpDeliver;

public sealed partial class SmtpClientSession
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
        CheckAuthSecurity(sasl);

        var step = await NextStepAsync(sasl, null, cancellationToken).ConfigureAwait(false);
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
                step = await NextStepAsync(sasl, challenge, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// RFC 8314 3 and RFC 4954 14: credentials only go to a server whose identity was verified, unless
    /// <see cref="SmtpSessionOptions.AuthSecurity"/> names a weaker choice. Checked before any AUTH byte is written.
    /// </summary>
    private void CheckAuthSecurity(ISaslClient sasl)
    {
        var security = _options.AuthSecurity;
        if (Tls is null)
        {
            if (security != AuthSecurity.AllowCleartext)
            {
                var what = sasl.SendsCleartextCredentials ? "it would send credentials in cleartext" : "its exchange could be recorded and cracked offline";
                throw new SmtpException(SmtpErrorReason.CleartextAuthentication, true, SmtpCommand.Auth,
                    $"refusing authentication mechanism {sasl.Name} on a connection without tls: {what}");
            }
            return;
        }
        if (security == AuthSecurity.VerifiedTls && UnverifiedServerProblem() is { } problem)
        {
            throw new SmtpException(SmtpErrorReason.UnverifiedTlsAuthentication, true, SmtpCommand.Auth,
                $"refusing authentication mechanism {sasl.Name}: the tls server certificate was not verified ({problem})");
        }
    }

    /// <summary>Why the TLS server is not verified for AUTH; <c>null</c> when PKIX or DANE verified it.</summary>
    private string? UnverifiedServerProblem()
    {
        if (Dane is { } dane)
        {
            // RFC 7672 2.2: with TLSA records DANE decides; a failure passed over with
            // IgnoreTlsVerifyErrors is not made good by PKIX.
            return dane.Verified ? null : "dane: no tlsa record matches the certificate";
        }
        if (Pkix is not { } pkix)
        {
            return "pkix: no certificate was seen";
        }
        if (!pkix.Verified)
        {
            return "pkix: " + pkix.Problem;
        }
        // Without a remote host name PKIX checked no name: any trusted certificate would have passed.
        return _remoteHostname.Ascii.Length == 0 ? "pkix: no remote host name to verify the certificate for" : null;
    }

    /// <summary>
    /// One mechanism step, bounded by the caller's token and the AUTH timeout (<see cref="SmtpTimeouts.Command"/>):
    /// SCRAM's key derivation stops on either. A timeout leaves the exchange half done: the session is broken.
    /// </summary>
    private async ValueTask<SaslStep> NextStepAsync(ISaslClient sasl, byte[]? challenge, CancellationToken cancellationToken)
    {
        using var timeout = TimeoutSource.Start(_options.TimeProvider, _timeouts.Command, cancellationToken);
        try
        {
            return await sasl.NextStepAsync(challenge, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw _transport.Break(SmtpErrorReason.Timeout, SmtpCommand.Auth,
                $"authentication mechanism {sasl.Name} did not finish its step within {_timeouts.Command}", string.Empty, null, e);
        }
        catch (OperationCanceledException)
        {
            _transport.Broken = true;
            throw;
        }
        catch (SaslException e) when (challenge is null)
        {
            throw new SmtpException(SmtpErrorReason.Authentication, false, SmtpCommand.Auth, $"initial step of authentication mechanism {sasl.Name}: {e.Message}", null, e);
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
