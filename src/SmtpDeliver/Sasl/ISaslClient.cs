namespace SmtpDeliver.Sasl;

/// <summary>
/// The client side of one SASL mechanism (RFC 4422) for SMTP AUTH (RFC 4954). The SMTP client calls
/// <see cref="NextStepAsync"/> first with <c>null</c> to get the optional initial response, then once per
/// server challenge (334), until the mechanism says its message is the last one.
/// </summary>
public interface ISaslClient
{
    /// <summary>The mechanism name as sent in "AUTH NAME", upper-case, e.g. "SCRAM-SHA-256".</summary>
    string Name { get; }

    /// <summary>
    /// True when the mechanism sends the password (or a bearer token) in a form a listener can reuse
    /// (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER). The client never traces their messages. Whether any mechanism
    /// may run on the connection is decided by <see cref="SmtpSessionOptions.AuthSecurity"/>, for all alike.
    /// </summary>
    bool SendsCleartextCredentials { get; }

    /// <summary>
    /// Produces the next client message.
    /// </summary>
    /// <param name="fromServer">The decoded server challenge; <c>null</c> on the first call.</param>
    /// <param name="cancellationToken">
    /// Stops long work (SCRAM's key derivation); the SMTP client cancels it also when the AUTH step's
    /// timeout (<see cref="SmtpTimeouts.Command"/>) passes.
    /// </param>
    /// <returns>
    /// The message for the server (<c>null</c>: nothing, e.g. no initial response; empty: an empty message)
    /// and whether it is the client's last message, after which the server must give its verdict.
    /// </returns>
    /// <exception cref="SaslException">The challenge is invalid or the server failed to prove itself.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<SaslStep> NextStepAsync(byte[]? fromServer, CancellationToken cancellationToken);

    /// <summary>
    /// True for mechanisms whose server may send a challenge after the client's last message to report an
    /// error (XOAUTH2, OAUTHBEARER RFC 7628 3.2.3): the client then answers it with <see cref="NextStepAsync"/>
    /// and reads the final verdict. For other mechanisms such a challenge fails the exchange.
    /// </summary>
    bool AnswersErrorChallenge => false;
}
