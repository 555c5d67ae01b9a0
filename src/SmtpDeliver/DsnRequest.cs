namespace SmtpDeliver;

/// <summary>
/// Delivery status notifications requested for a transaction (RFC 3461): RET and ENVID on MAIL, NOTIFY and
/// ORCPT on each RCPT. Sent only when the server announced DSN; see <see cref="RequireSupport"/>.
/// </summary>
public sealed record DsnRequest
{
    /// <summary>What a notification returns of the message (RET); <c>null</c> sends no RET parameter.</summary>
    public DsnReturn? Return { get; init; }

    /// <summary>
    /// The envelope identifier (ENVID, RFC 3461 4.4): printable ASCII (0x20 to 0x7E), at most 100 characters,
    /// sent in xtext; <c>null</c> sends no ENVID parameter. Anything else is an <see cref="ArgumentException"/>
    /// before anything is written.
    /// </summary>
    public string? EnvelopeId { get; init; }

    /// <summary>
    /// One entry per recipient, in the order of the recipients, or <c>null</c> for no NOTIFY or ORCPT
    /// parameters. A list of another length is an <see cref="ArgumentException"/>.
    /// </summary>
    public IReadOnlyList<DsnRecipient>? Recipients { get; init; }

    /// <summary>
    /// What to do when the server does not announce DSN: true fails the transaction before anything is sent
    /// with <see cref="SmtpErrorReason.DsnUnsupported"/> (transient: another MX may support it); false (the
    /// default) sends the transaction without DSN parameters, and the server then uses its default
    /// notifications.
    /// </summary>
    public bool RequireSupport { get; init; }
}
