using MimeKit;
using SmtpDeliver.Names;

namespace SmtpDeliver.Bounces;

/// <summary>
/// What <see cref="BounceComposer.ComposeAsync"/> needs to write a delivery status notification (RFC 3464) for
/// one message: its envelope sender, the recipients to report and, optionally, the message to return.
/// </summary>
public sealed record BounceRequest
{
    /// <summary>
    /// The original message's envelope sender (its MAIL FROM): the notification goes to it. The null reverse-path
    /// gives no notification (<see cref="BounceSuppression.NullReversePath"/>).
    /// </summary>
    public required EnvelopeAddress OriginalSender { get; init; }

    /// <summary>
    /// The From of the notification: a postmaster or MAILER-DAEMON mailbox of the reporting MTA, which must accept
    /// replies from the null reverse-path (RFC 3464 2, RFC 5321 4.5.5).
    /// </summary>
    public required MailboxAddress From { get; init; }

    /// <summary>The host name of the MTA writing the notification (Reporting-MTA, RFC 3464 2.2.2).</summary>
    public required Domain ReportingMta { get; init; }

    /// <summary>When the message was queued (Arrival-Date, RFC 3464 2.2.5).</summary>
    public required DateTimeOffset ArrivalDate { get; init; }

    /// <summary>The recipients to report on; only those whose NOTIFY asks for their <see cref="BounceRecipient.Action"/> are included.</summary>
    public required IReadOnlyList<BounceRecipient> Recipients { get; init; }

    /// <summary>The ENVID the message was submitted with (Original-Envelope-Id, RFC 3464 2.2.1), decoded; <c>null</c> for none.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>
    /// The RET the message was submitted with (RFC 3461 4.3): <see cref="DsnReturn.Full"/> returns the whole message
    /// when it is at most <see cref="MaxReturnedMessageSize"/> bytes; otherwise, and for <c>null</c>, only its headers.
    /// </summary>
    public DsnReturn? Return { get; init; }

    /// <summary>Opens the original message (CRLF line ends), or <c>null</c> to return nothing of it; read at most once.</summary>
    public Func<Stream>? OpenOriginalMessage { get; init; }

    /// <summary>
    /// The most bytes of the original message returned, and read: a larger message is returned as headers only, and a
    /// header section larger than this is cut at a line end. Default 128 KiB.
    /// </summary>
    public int MaxReturnedMessageSize { get; init; } = 128 * 1024;

    /// <summary>
    /// True when the original was sent with SMTPUTF8 (RFC 6531): the notification then uses the internationalised
    /// types of RFC 6533, as it does when an address has a non-ASCII local part.
    /// </summary>
    public bool OriginalUsedSmtpUtf8 { get; init; }

    /// <summary>The Subject; <c>null</c> for "Delivery Status Notification (Failure)" (or Delay, Success).</summary>
    public string? Subject { get; init; }

    /// <summary>The clock for the Date header and a missing <see cref="BounceRecipient.LastAttemptDate"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
