namespace SmtpDeliver;

/// <summary>Why an SMTP operation failed; branch on this, never on message text.</summary>
public enum SmtpErrorReason
{
    /// <summary>The server answered with an unexpected reply code; see <see cref="SmtpException.Response"/>.</summary>
    Status,
    /// <summary>The server violated the protocol: malformed reply, mixed codes in a multi-line reply, unexpected data.</summary>
    Protocol,
    /// <summary>A reply line, reply line count or reply size exceeded the configured limit.</summary>
    ReplyTooLong,
    /// <summary>TLS failed: STARTTLS refused, handshake failed, or certificate verification (PKIX or DANE) failed.</summary>
    Tls,
    /// <summary>The connection failed: closed by the server, reset, or another I/O error.</summary>
    Connection,
    /// <summary>The server did not answer, or did not take our data, within the configured time.</summary>
    Timeout,
    /// <summary>An earlier error left the connection in an unknown state; it cannot be used any more.</summary>
    Broken,
    /// <summary>The client was closed.</summary>
    Closed,
    /// <summary>
    /// The caller cancelled after the whole message was sent, while waiting for the server's verdict:
    /// reported as an error with <see cref="SmtpException.DeliveryUncertain"/> rather than as
    /// <see cref="OperationCanceledException"/>, as the server may have taken the message.
    /// </summary>
    Canceled,
    /// <summary>The message is larger than the server's announced SIZE (RFC 1870).</summary>
    MessageTooLarge,
    /// <summary>The message needs 8BITMIME (RFC 6152) and the server did not announce it.</summary>
    EightBitMimeUnsupported,
    /// <summary>The message needs SMTPUTF8 (RFC 6531) and the server did not announce it.</summary>
    SmtpUtf8Unsupported,
    /// <summary>Delivery requires REQUIRETLS (RFC 8689) and the server did not announce it.</summary>
    RequireTlsUnsupported,
    /// <summary>No recipient of a multi-recipient transaction was accepted.</summary>
    NoRecipients,
    /// <summary>The message data is malformed (bare CR or LF, no final CRLF); the inner exception says where.</summary>
    MessageData,
    /// <summary>Authentication could not be started or failed on the client side (no common mechanism, mechanism error).</summary>
    Authentication,
    /// <summary>
    /// Authentication was refused, before anything was sent, on a connection without TLS (see
    /// <see cref="SmtpSessionOptions.AuthSecurity"/>).
    /// </summary>
    CleartextAuthentication,
    /// <summary>
    /// Authentication was refused, before anything was sent, because the server certificate was not verified
    /// by PKIX or DANE (see <see cref="SmtpSessionOptions.AuthSecurity"/>).
    /// </summary>
    UnverifiedTlsAuthentication,
    /// <summary>
    /// Delivery status notifications were requested with <see cref="DsnRequest.RequireSupport"/> and the server
    /// did not announce DSN (RFC 3461); transient, as another server may support it. Nothing was sent.
    /// </summary>
    DsnUnsupported,
    /// <summary>
    /// The message needs BINARYMIME (<see cref="DeliveryRequirements.BinaryMime"/>) and the server did not announce
    /// both BINARYMIME and CHUNKING (RFC 3030 3); permanent, as the message cannot be sent as DATA. Nothing was sent.
    /// </summary>
    BinaryMimeUnsupported,
}
