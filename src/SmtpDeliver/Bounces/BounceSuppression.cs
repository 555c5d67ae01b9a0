namespace SmtpDeliver.Bounces;

/// <summary>Why no delivery status notification was composed (<see cref="BounceResult.SuppressedReason"/>).</summary>
public enum BounceSuppression
{
    /// <summary>
    /// The original message had the null reverse-path: it was itself a notification, and a bounce of a bounce
    /// would loop (RFC 5321 6.1, RFC 3461 6.2).
    /// </summary>
    NullReversePath,
    /// <summary>Every reported recipient asked for no notification at all: NOTIFY=NEVER (RFC 3461 4.1).</summary>
    NotifyNever,
    /// <summary>
    /// No recipient's NOTIFY asked for a notification of what happened to it, e.g. a delay with NOTIFY=FAILURE,
    /// or a delivery without NOTIFY=SUCCESS (RFC 3461 4.1).
    /// </summary>
    NotRequested,
    /// <summary>The request named no recipients.</summary>
    NoRecipients,
}
