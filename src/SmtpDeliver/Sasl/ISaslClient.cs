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

/// <summary>One client message of a SASL exchange.</summary>
/// <param name="ToServer">The bytes to send; <c>null</c> for none.</param>
/// <param name="Last">True when the server must answer with its final verdict next.</param>
public readonly record struct SaslStep(byte[]? ToServer, bool Last);

/// <summary>Why a SASL mechanism failed on the client side.</summary>
public enum SaslErrorReason
{
    /// <summary>The server's message does not follow the mechanism's syntax.</summary>
    MalformedChallenge,
    /// <summary>The server asked for parameters too weak to use (SCRAM: iterations, salt, nonce).</summary>
    Unsafe,
    /// <summary>The server did not prove knowledge of the password (SCRAM server signature).</summary>
    ServerProofMismatch,
    /// <summary>The server reported an error inside the mechanism (SCRAM "e=", OAuth error JSON).</summary>
    ServerError,
    /// <summary>The mechanism was asked for more steps than it has.</summary>
    UnexpectedStep,
    /// <summary>Credentials cannot be used, e.g. a password that SASLprep prohibits.</summary>
    InvalidCredentials,
    /// <summary>The server offers no mechanism we can use with the credentials given.</summary>
    NoCommonMechanism,
    /// <summary>The mechanism asked for is not known.</summary>
    UnsupportedMechanism,
    /// <summary>Channel binding was required but the connection offers no binding data.</summary>
    ChannelBindingUnavailable,
    /// <summary>
    /// The server asked for more SCRAM iterations than <see cref="SaslScram.MaxIterations"/> allows; refused
    /// before any hashing.
    /// </summary>
    IterationCountTooHigh,
}

/// <summary>A SASL mechanism failed on the client side: bad challenge, unsafe parameters, or server proof mismatch.</summary>
public sealed class SaslException : Exception
{
    /// <summary>Creates the exception with a reason and message.</summary>
    public SaslException(SaslErrorReason reason, string message) : base(message) => Reason = reason;

    /// <summary>Creates the exception with a reason, message and cause.</summary>
    public SaslException(SaslErrorReason reason, string message, Exception innerException) : base(message, innerException) => Reason = reason;

    /// <summary>Creates the exception with a message (reason <see cref="SaslErrorReason.MalformedChallenge"/>).</summary>
    public SaslException(string message) : base(message) => Reason = SaslErrorReason.MalformedChallenge;

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SaslException(string message, Exception innerException) : base(message, innerException) => Reason = SaslErrorReason.MalformedChallenge;

    /// <summary>Creates the exception without a message.</summary>
    public SaslException() : base("sasl mechanism failed")
    {
    }

    /// <summary>Why the mechanism failed.</summary>
    public SaslErrorReason Reason { get; }
}
