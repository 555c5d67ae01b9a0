namespace SmtpDeliver.Sasl;

/// <summary>
/// The client side of one SASL mechanism (RFC 4422) for SMTP AUTH (RFC 4954). The SMTP client calls
/// <see cref="NextStep"/> first with <c>null</c> to get the optional initial response, then once per
/// server challenge (334), until the mechanism says its message is the last one.
/// </summary>
public interface ISaslClient
{
    /// <summary>The mechanism name as sent in "AUTH NAME", upper-case, e.g. "SCRAM-SHA-256".</summary>
    string Name { get; }

    /// <summary>
    /// True when the mechanism sends the password (or a bearer token) in a form a listener can reuse
    /// (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER). The client refuses these on a connection without TLS unless
    /// the caller opted in, and never traces their messages.
    /// </summary>
    bool SendsCleartextCredentials { get; }

    /// <summary>
    /// Produces the next client message.
    /// </summary>
    /// <param name="fromServer">The decoded server challenge; <c>null</c> on the first call.</param>
    /// <returns>
    /// The message for the server (<c>null</c>: nothing, e.g. no initial response; empty: an empty message)
    /// and whether it is the client's last message, after which the server must give its verdict.
    /// </returns>
    /// <exception cref="SaslException">The challenge is invalid or the server failed to prove itself.</exception>
    SaslStep NextStep(byte[]? fromServer);
}

/// <summary>One client message of a SASL exchange.</summary>
/// <param name="ToServer">The bytes to send; <c>null</c> for none.</param>
/// <param name="Last">True when the server must answer with its final verdict next.</param>
public readonly record struct SaslStep(byte[]? ToServer, bool Last);

/// <summary>A SASL mechanism failed on the client side: bad challenge, unsafe parameters, or server proof mismatch.</summary>
public sealed class SaslException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public SaslException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SaslException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public SaslException() : base("sasl mechanism failed")
    {
    }
}
