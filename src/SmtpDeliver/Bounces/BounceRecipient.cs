using SmtpDeliver.Delivery;
using SmtpDeliver.Names;

namespace SmtpDeliver.Bounces;

/// <summary>
/// What a notification reports of one recipient: the per-recipient fields of RFC 3464 2.3. Build it from a
/// <see cref="RecipientOutcome"/> with <see cref="FromOutcome"/>, or from a whole <see cref="DeliveryOutcome"/>
/// with <see cref="FromDeliveryOutcome"/>; the queue collects them over its attempts.
/// </summary>
public sealed record BounceRecipient
{
    /// <summary>The recipient the message was sent to (Final-Recipient, RFC 3464 2.3.2).</summary>
    public required EnvelopeAddress FinalRecipient { get; init; }

    /// <summary>What happened (Action, RFC 3464 2.3.3).</summary>
    public required DsnAction Action { get; init; }

    /// <summary>
    /// The remote server's reply: gives the Status (its enhanced code, else 4.0.0/5.0.0/2.0.0 from the reply
    /// code's class) and the Diagnostic-Code (every line). <c>null</c> when no reply was read.
    /// </summary>
    public SmtpResponse? Response { get; init; }

    /// <summary>Why delivery failed in words, for the human-readable part (e.g. a connection error); may be empty.</summary>
    public string Error { get; init; } = string.Empty;

    /// <summary>The MX host that answered (Remote-MTA, RFC 3464 2.3.5); empty for none.</summary>
    public Domain RemoteMta { get; init; }

    /// <summary>When the last attempt was made (Last-Attempt-Date, RFC 3464 2.3.7); <c>null</c> for the time of composing.</summary>
    public DateTimeOffset? LastAttemptDate { get; init; }

    /// <summary>Until when delivery is retried (Will-Retry-Until, RFC 3464 2.3.8); written only for <see cref="DsnAction.Delayed"/>.</summary>
    public DateTimeOffset? WillRetryUntil { get; init; }

    /// <summary>The NOTIFY parameter the recipient was given (RFC 3461 4.1); decides whether it is reported.</summary>
    public DsnNotify Notify { get; init; }

    /// <summary>The ORCPT parameter the recipient was given (Original-Recipient, RFC 3464 2.3.1), or <c>null</c>.</summary>
    public EnvelopeAddress? OriginalRecipient { get; init; }

    /// <summary>
    /// A recipient's report from its outcome: <see cref="RecipientStatus.Permanent"/> is <see cref="DsnAction.Failed"/>,
    /// <see cref="RecipientStatus.Delivered"/> is <see cref="DsnAction.Delivered"/>, and a transient outcome
    /// is <see cref="DsnAction.Delayed"/>, or <see cref="DsnAction.Failed"/> when the queue gives up
    /// (<paramref name="finalAttempt"/>). An <see cref="RecipientStatus.Uncertain"/> outcome has no action: the
    /// message may have been delivered, so "failed" or "delayed" could make the sender send it again; tell the
    /// postmaster instead.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="outcome"/> is <see cref="RecipientStatus.Uncertain"/>.</exception>
    /// <param name="outcome">The recipient's outcome.</param>
    /// <param name="finalAttempt">True when the queue will not try again.</param>
    /// <param name="dsn">The recipient's NOTIFY and ORCPT, or <c>null</c>.</param>
    /// <param name="remoteMta">The host that answered; empty for the one the outcome records (<see cref="RecipientOutcome.RemoteHost"/>).</param>
    /// <param name="lastAttemptDate">When the attempt was made, or <c>null</c>.</param>
    /// <param name="willRetryUntil">For a delay, until when the queue retries.</param>
    public static BounceRecipient FromOutcome(RecipientOutcome outcome, bool finalAttempt, DsnRecipient? dsn = null, Domain remoteMta = default,
        DateTimeOffset? lastAttemptDate = null, DateTimeOffset? willRetryUntil = null)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Status == RecipientStatus.Uncertain)
        {
            throw new ArgumentException("an uncertain outcome has no DSN action: the message may have been delivered", nameof(outcome));
        }
        var action = outcome.Status switch
        {
            RecipientStatus.Delivered => DsnAction.Delivered,
            RecipientStatus.Permanent => DsnAction.Failed,
            _ => finalAttempt ? DsnAction.Failed : DsnAction.Delayed,
        };
        return new BounceRecipient
        {
            FinalRecipient = outcome.Address,
            Action = action,
            Response = outcome.Response is { Code: > 0 } r ? r : null,
            Error = outcome.Error,
            RemoteMta = outcome.Response is not { Code: > 0 } ? default : !remoteMta.IsEmpty ? remoteMta : outcome.RemoteHost,
            LastAttemptDate = lastAttemptDate,
            WillRetryUntil = action == DsnAction.Delayed ? willRetryUntil : null,
            Notify = dsn?.Notify ?? DsnNotify.Default,
            OriginalRecipient = dsn?.OriginalRecipient,
        };
    }

    /// <summary>
    /// The reports of the recipients of one <see cref="Deliverer.DeliverAsync"/> call, in request order, leaving
    /// out those with an <see cref="RecipientStatus.Uncertain"/> outcome (see <see cref="FromOutcome"/>). The
    /// Remote-MTA of a recipient with a reply is the host whose reply decided it (<see cref="RecipientOutcome.RemoteHost"/>).
    /// </summary>
    /// <param name="outcome">The delivery outcome.</param>
    /// <param name="dsn">The request's DSN parameters (<see cref="DeliveryRequest.Dsn"/>), or <c>null</c>.</param>
    /// <param name="finalAttempt">True when the queue will not try again.</param>
    /// <param name="lastAttemptDate">When the attempt was made.</param>
    /// <param name="willRetryUntil">For delays, until when the queue retries.</param>
    /// <exception cref="ArgumentException">The DSN recipient list's length differs from the outcome's.</exception>
    public static IReadOnlyList<BounceRecipient> FromDeliveryOutcome(DeliveryOutcome outcome, DsnRequest? dsn, bool finalAttempt,
        DateTimeOffset lastAttemptDate, DateTimeOffset? willRetryUntil = null)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (dsn?.Recipients is { } list && list.Count != outcome.Recipients.Count)
        {
            throw new ArgumentException($"the DSN recipient list has {list.Count} entries for {outcome.Recipients.Count} recipients", nameof(dsn));
        }
        var result = new List<BounceRecipient>(outcome.Recipients.Count);
        for (var i = 0; i < outcome.Recipients.Count; i++)
        {
            if (outcome.Recipients[i].Status != RecipientStatus.Uncertain)
            {
                result.Add(FromOutcome(outcome.Recipients[i], finalAttempt, dsn?.Recipients?[i], default, lastAttemptDate, willRetryUntil));
            }
        }
        return result;
    }
}
