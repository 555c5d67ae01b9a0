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
}
