using MimeKit;
using SmtpDeliver.Delivery;

namespace SmtpDeliver.Bounces;

/// <summary>
/// The notification composed by <see cref="BounceComposer.ComposeAsync"/>, or why there is none. Send
/// <see cref="Message"/> with the null reverse-path, <c>MAIL FROM:&lt;&gt;</c> (RFC 5321 4.5.5, RFC 3461 6.2), to
/// <see cref="Recipient"/>: <see cref="ToDeliveryRequest"/> does so.
/// </summary>
public sealed record BounceResult
{
    /// <summary>The notification, a multipart/report; <c>null</c> when suppressed.</summary>
    public MimeMessage? Message { get; init; }

    /// <summary>Why no notification was composed; <c>null</c> when <see cref="Message"/> is set.</summary>
    public BounceSuppression? SuppressedReason { get; init; }

    /// <summary>Where the notification goes (RCPT TO): the original envelope sender.</summary>
    public required EnvelopeAddress Recipient { get; init; }

    /// <summary>Always <see cref="EnvelopeAddress.NullReversePath"/>: a notification is never itself notified on (RFC 3461 6.2).</summary>
    public EnvelopeAddress MailFrom { get; } = EnvelopeAddress.NullReversePath;

    /// <summary>The recipients the notification reports, in order; empty when suppressed.</summary>
    public IReadOnlyList<BounceRecipient> ReportedRecipients { get; init; } = [];

    /// <summary>What of the original message the notification returns.</summary>
    public ReturnedContent ReturnedContent { get; init; }

    /// <summary>True when the notification uses the RFC 6533 types and needs SMTPUTF8 to be sent.</summary>
    public bool International { get; init; }

    /// <summary>
    /// A request delivering the notification with <c>MAIL FROM:&lt;&gt;</c> to <see cref="Recipient"/> (8BITMIME and
    /// SMTPUTF8 as the message needs; SMTPUTF8 always for an <see cref="International"/> one).
    /// </summary>
    /// <exception cref="InvalidOperationException">The notification was suppressed.</exception>
    public DeliveryRequest ToDeliveryRequest()
    {
        var message = Message ?? throw new InvalidOperationException($"no notification to deliver: suppressed ({SuppressedReason})");
        var request = MimeDeliveryRequest.Create(message, EnvelopeAddress.NullReversePath, [Recipient]);
        // RFC 6533 6 / RFC 6532 3.7: the message/global* types go only to servers that take SMTPUTF8.
        return International ? request with { Requirements = request.Requirements | DeliveryRequirements.SmtpUtf8 } : request;
    }
}
