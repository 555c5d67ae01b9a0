using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpDeliver;
using SmtpDeliver.Bounces;
using SmtpDeliver.Names;

namespace QueueWorker;

/// <summary>
/// Composes the delivery status notification of a spooled message (RFC 3464, <see cref="BounceComposer"/>) and puts
/// it into the spool as a new message sent with MAIL FROM:&lt;&gt;, to be delivered by the same worker.
/// </summary>
internal sealed class DsnSender(Spool spool, MailboxAddress from, Domain reportingMta, TimeProvider clock, ILogger logger)
{
    /// <summary>
    /// Queues a notification about <paramref name="recipients"/> of <paramref name="envelope"/>; true when one was
    /// queued. None for a notification (null sender: never a bounce for a bounce, RFC 5321 6.1), a TLSRPT report
    /// (logged only), or recipients whose NOTIFY does not ask (RFC 3461 4.1); <see cref="BounceResult.SuppressedReason"/>
    /// says which, and is logged.
    /// </summary>
    public async Task<bool> SendAsync(SpoolEnvelope envelope, IReadOnlyList<BounceRecipient> recipients, CancellationToken cancellationToken)
    {
        if (recipients.Count == 0)
        {
            return false;
        }
        if (envelope.Kind == SpoolMessageKind.TlsRptReport)
        {
            // Our own report to a domain's rua: telling our no-reply sender is pointless (RFC 8460 5.3 only asks
            // that the report is sent); the failure is in the log.
            Log.ReportNotDelivered(logger, envelope.Id, recipients[0].Action);
            return false;
        }
        var result = await BounceComposer.ComposeAsync(new BounceRequest
        {
            OriginalSender = EnvelopeAddress.ParseReversePath(envelope.MailFrom),
            From = from,
            ReportingMta = reportingMta,
            ArrivalDate = envelope.QueuedAt,
            EnvelopeId = envelope.EnvelopeId,
            Return = envelope.Return,
            Recipients = recipients,
            OpenOriginalMessage = () => spool.OpenMessage(envelope.Id),
            OriginalUsedSmtpUtf8 = (envelope.Requirements & DeliveryRequirements.SmtpUtf8) != 0,
            TimeProvider = clock,
        }, cancellationToken).ConfigureAwait(false);
        if (result.Message is null)
        {
            Log.NotificationSuppressed(logger, envelope.Id, result.SuppressedReason);
            return false;
        }
        var request = result.ToDeliveryRequest();
        var now = clock.GetUtcNow();
        var to = result.Recipient.ToString();
        var notification = new SpoolEnvelope
        {
            Id = Spool.NewId(),
            Kind = SpoolMessageKind.Bounce,
            MailFrom = "",
            Recipients = [new SpoolRecipient { Address = to }],
            Requirements = request.Requirements,
            QueuedAt = now,
            NextAttemptAt = now,
        };
        await spool.EnqueueAsync(notification, request.OpenMessage, cancellationToken).ConfigureAwait(false);
        Log.NotificationQueued(logger, notification.Id, envelope.Id, recipients[0].Action, to);
        return true;
    }
}
