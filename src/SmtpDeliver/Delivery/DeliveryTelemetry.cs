using System.Diagnostics;
namespace SmtpDeliver.Delivery;

/// <summary>Tags the delivery attempt activity with what the attempt came to.</summary>
internal static class DeliveryTelemetry
{
    /// <summary>
    /// Sets the last host tried (server.address, network.peer.address), its TLS status, the recipient
    /// counts, and, when a recipient was not delivered, status Error with error.type the worst outcome:
    /// "permanent", then "uncertain", then "transient".
    /// </summary>
    public static void Finish(Activity? activity, DeliveryOutcome outcome, string lastError)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }
        if (outcome.Attempts.Count > 0)
        {
            var last = outcome.Attempts[^1];
            activity.SetTag("server.address", last.Host.IsEmpty ? last.Address?.ToString() : last.Host.Ascii);
            if (last.Address is { } address)
            {
                activity.SetTag("network.peer.address", (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString());
            }
            activity.SetTag("smtpdeliver.tls.status", last.TlsStatus.ToString());
        }
        activity.SetTag("smtpdeliver.delivery.attempts", outcome.Attempts.Count);
        activity.SetTag("smtpdeliver.delivery.recipients", outcome.Recipients.Count);
        var delivered = outcome.Recipients.Count(r => r.Status == RecipientStatus.Delivered);
        activity.SetTag("smtpdeliver.delivery.delivered", delivered);
        if (delivered == outcome.Recipients.Count)
        {
            return;
        }
        var worst = outcome.Recipients.Any(r => r.Status == RecipientStatus.Permanent) ? RecipientStatus.Permanent
            : outcome.Recipients.Any(r => r.Status == RecipientStatus.Uncertain) ? RecipientStatus.Uncertain
            : RecipientStatus.Transient;
        var error = outcome.Recipients.FirstOrDefault(r => r.Status == worst)?.Error;
        SmtpActivitySource.RecordError(activity, OutcomeName(worst), string.IsNullOrEmpty(error) ? lastError : error);
    }

    /// <summary>Counts every recipient of a finished delivery attempt by its outcome.</summary>
    public static void CountRecipients(SmtpMetrics metrics, IReadOnlyList<RecipientOutcome> recipients)
    {
        foreach (var r in recipients)
        {
            metrics.CountRecipient(OutcomeName(r.Status));
        }
    }

    /// <summary>The outcome tag value of a recipient status.</summary>
    public static string OutcomeName(RecipientStatus status) => status switch
    {
        RecipientStatus.Delivered => "delivered",
        RecipientStatus.Permanent => "permanent",
        RecipientStatus.Transient => "transient",
        RecipientStatus.Uncertain => "uncertain",
        _ => "unknown",
    };
}
