namespace SmtpDeliver;

/// <summary>The delivery status notification parameters of one recipient (RFC 3461 4.1, 4.2).</summary>
public sealed record DsnRecipient
{
    /// <summary>When a notification is wanted (NOTIFY); <see cref="DsnNotify.Default"/> sends no NOTIFY parameter.</summary>
    public DsnNotify Notify { get; init; }

    /// <summary>
    /// The original recipient (ORCPT), sent as <c>ORCPT=rfc822;</c> with the address in xtext; for an address
    /// that needs SMTPUTF8 as <c>ORCPT=utf-8;</c> with the xtext of its UTF-8 bytes (docs/dsn.md).
    /// <c>null</c> sends no ORCPT parameter.
    /// </summary>
    public EnvelopeAddress? OriginalRecipient { get; init; }
}
