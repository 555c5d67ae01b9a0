using SmtpDeliver;

namespace QueueWorker;

/// <summary>
/// The envelope of one spooled message, stored as <c>&lt;id&gt;.json</c> beside the message <c>&lt;id&gt;.eml</c>:
/// what the queue must remember between attempts. Written whole, by temp file and rename (<see cref="Spool.SaveAsync"/>).
/// </summary>
internal sealed class SpoolEnvelope
{
    /// <summary>The message id: the file names' stem (32 lowercase hex digits).</summary>
    public required string Id { get; init; }

    /// <summary>What the message is: an ordinary message, a notification (bounce) or a TLSRPT report.</summary>
    public SpoolMessageKind Kind { get; init; }

    /// <summary>The envelope sender as on the wire, without angle brackets; empty for the null reverse-path (bounces).</summary>
    public required string MailFrom { get; init; }

    /// <summary>The recipients and their state.</summary>
    public required List<SpoolRecipient> Recipients { get; init; }

    /// <summary>8BITMIME, SMTPUTF8, REQUIRETLS as the message needs.</summary>
    public DeliveryRequirements Requirements { get; init; }

    /// <summary>ENVID (RFC 3461 4.4), decoded, or null.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>RET (RFC 3461 4.3), or null.</summary>
    public DsnReturn? Return { get; init; }

    /// <summary>When the message entered the queue: Arrival-Date, and the start of the give-up age.</summary>
    public DateTimeOffset QueuedAt { get; init; }

    /// <summary>Delivery attempts made so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When the message is next due.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>When the last attempt was made, or null.</summary>
    public DateTimeOffset? LastAttemptAt { get; set; }

    /// <summary>True once the delay notification was sent (or suppressed): it is sent at most once (RFC 3464 2.3.3 "delayed").</summary>
    public bool DelayNotified { get; set; }
}
