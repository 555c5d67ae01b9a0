namespace SmtpDeliver.Mime;

/// <summary>How a MimeKit message is delivered: REQUIRETLS, DSN, and which headers are kept out of the bytes sent.</summary>
public sealed record MimeDeliveryOptions
{
    /// <summary>The defaults: no REQUIRETLS, no DSN, Bcc and Resent-Bcc hidden.</summary>
    public static MimeDeliveryOptions Default { get; } = new();

    /// <summary>Request REQUIRETLS (RFC 8689 4): the message is sent only over verified TLS, to servers that announce the extension.</summary>
    public bool RequireTls { get; init; }

    /// <summary>Delivery status notifications requested (RFC 3461), or <c>null</c>; see docs/dsn.md.</summary>
    public DsnRequest? Dsn { get; init; }

    /// <summary>
    /// Leave the Bcc and Resent-Bcc headers out of the bytes sent (RFC 5322 3.6.3: blind recipients are not shown
    /// to the others), as MailKit does. True by default; the message object itself is not changed.
    /// </summary>
    public bool HideBcc { get; init; } = true;

    /// <summary>
    /// Write the message once to measure it before the transaction, so that MAIL always carries its exact SIZE
    /// (RFC 1870) and BODY=8BITMIME only when its bytes need it. Off by default: when the session sends pipelined
    /// BDAT (CHUNKING and PIPELINING), the message is written once, straight into the chunks. A message of at most
    /// one chunk (64 KiB) still gets its exact SIZE and BODY from that chunk; a larger one is sent without SIZE
    /// (the server judges the chunks) and with BODY=8BITMIME when the server offers it. Sessions that send DATA
    /// always measure first. See docs/mimekit.md.
    /// </summary>
    public bool MeasureFirst { get; init; }
}
