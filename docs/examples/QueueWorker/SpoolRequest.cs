using SmtpDeliver;
using SmtpDeliver.Delivery;

namespace QueueWorker;

/// <summary>
/// One delivery request made from a spooled message: its pending recipients of one domain (a
/// <see cref="DeliveryRequest"/> is for one next hop), with the spool recipients in the request's order.
/// </summary>
/// <param name="Envelope">The spooled message.</param>
/// <param name="Request">The request for the <see cref="Deliverer"/>.</param>
/// <param name="Recipients">The spool recipients, in <see cref="DeliveryRequest.Recipients"/> order.</param>
internal sealed record SpoolRequest(SpoolEnvelope Envelope, DeliveryRequest Request, IReadOnlyList<SpoolRecipient> Recipients)
{
    /// <summary>
    /// The requests for the pending recipients of <paramref name="envelope"/>, one per next hop.
    /// <paramref name="history"/> gives the dial history of the message and a next hop, kept between attempts (RFC 5321 5.1).
    /// </summary>
    /// <exception cref="FormatException">An address in the envelope does not parse.</exception>
    public static IReadOnlyList<SpoolRequest> Create(Spool spool, SpoolEnvelope envelope, Func<string, DialHistory> history)
    {
        var mailFrom = EnvelopeAddress.ParseReversePath(envelope.MailFrom);
        var size = new FileInfo(spool.MessagePath(envelope.Id)).Length;
        var requests = new List<SpoolRequest>();
        var byNextHop = envelope.Recipients
            .Where(r => r.State == SpoolRecipientState.Pending)
            .Select(r => (Spool: r, Address: EnvelopeAddress.Parse(r.Address)))
            .GroupBy(r => r.Address.NextHop.ToString(), StringComparer.OrdinalIgnoreCase);
        foreach (var group in byNextHop)
        {
            var recipients = group.ToList();
            var nextHop = group.Key;
            var request = new DeliveryRequest
            {
                MailFrom = mailFrom,
                Recipients = [.. recipients.Select(r => r.Address)],
                OpenMessage = () => spool.OpenMessage(envelope.Id),
                Size = size,
                Requirements = envelope.Requirements,
                Dsn = Dsn(envelope, recipients.Select(r => r.Spool).ToList()),
                DialHistory = history(envelope.Id + "/" + nextHop.ToLowerInvariant()),
                // A report message's own delivery is never recorded for TLSRPT (RFC 8460 3); the spool keeps
                // the kind, so a request rebuilt from it keeps the mark.
                IsTlsRptReport = envelope.Kind == SpoolMessageKind.TlsRptReport,
            };
            requests.Add(new SpoolRequest(envelope, request, [.. recipients.Select(r => r.Spool)]));
        }
        return requests;
    }

    private static DsnRequest? Dsn(SpoolEnvelope envelope, List<SpoolRecipient> recipients)
    {
        var perRecipient = recipients.Any(r => r.Notify != DsnNotify.Default || r.OriginalRecipient is not null);
        if (!perRecipient && envelope.EnvelopeId is null && envelope.Return is null)
        {
            return null;
        }
        return new DsnRequest
        {
            EnvelopeId = envelope.EnvelopeId,
            Return = envelope.Return,
            Recipients = perRecipient
                ? [.. recipients.Select(r => new DsnRecipient
                {
                    Notify = r.Notify,
                    OriginalRecipient = r.OriginalRecipient is { } o ? EnvelopeAddress.Parse(o) : null,
                })]
                : null,
        };
    }
}
