namespace SmtpDeliver.Delivery;

/// <summary>One message for the recipients of one domain.</summary>
public sealed record DeliveryRequest
{
    /// <summary>The envelope sender; <see cref="EnvelopeAddress.NullReversePath"/> for a bounce.</summary>
    public required EnvelopeAddress MailFrom { get; init; }

    /// <summary>The recipients, all in the same domain (or at the same address literal).</summary>
    public required IReadOnlyList<EnvelopeAddress> Recipients { get; init; }

    /// <summary>The message with CRLF line ends; opened once per transaction.</summary>
    public required Func<Stream> OpenMessage { get; init; }

    /// <summary>The message size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>
    /// What the message needs: 8BITMIME, SMTPUTF8, and <see cref="DeliveryRequirements.RequireTls"/> when the
    /// sender requested REQUIRETLS (RFC 8689 4), the one place that says so.
    /// </summary>
    public DeliveryRequirements Requirements { get; init; }

    /// <summary>True when <see cref="Requirements"/> has <see cref="DeliveryRequirements.RequireTls"/>.</summary>
    public bool RequireTls => (Requirements & DeliveryRequirements.RequireTls) != 0;

    /// <summary>The message has "TLS-Required: No" (RFC 8689 5): verification errors are recorded but ignored.</summary>
    public bool TlsRequiredNo { get; init; }

    /// <summary>
    /// Delivery status notifications requested (RFC 3461), or <c>null</c>. <see cref="DsnRequest.Recipients"/>,
    /// when given, has one entry per entry of <see cref="Recipients"/>, in order; each transaction gets the
    /// entries of its recipients. See docs/dsn.md.
    /// </summary>
    public DsnRequest? Dsn { get; init; }

    /// <summary>
    /// The addresses dialed for this message in earlier attempts; the deliverer adds to it. Keep one per
    /// message between attempts (RFC 5321 5.1: other family first, same address for greylisting); a
    /// fresh one when <c>null</c>.
    /// </summary>
    public DialHistory? DialHistory { get; init; }

    /// <summary>
    /// The message is a TLSRPT report (RFC 8460 3: no reports about reports): the TLSRPT aggregator records
    /// nothing for its delivery. Set by <c>TlsRpt.Reporting.TlsRptReportMessage</c> (named, not referenced: Delivery does not depend on Reporting); a queue that stores
    /// requests keeps it with them.
    /// </summary>
    public bool IsTlsRptReport { get; init; }
}
