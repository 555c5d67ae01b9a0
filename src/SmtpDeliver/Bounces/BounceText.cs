using System.Text;
using MimeKit.Utils;

namespace SmtpDeliver.Bounces;

/// <summary>
/// The human-readable first part of a notification (RFC 3462 2, RFC 3464 2). Text from servers and callers is
/// sanitised and every such line starts with a tab, so it can never look like a MIME boundary ("--").
/// </summary>
internal static class BounceText
{
    public static string Write(BounceRequest request, IReadOnlyList<BounceRecipient> recipients, bool international)
    {
        var b = new StringBuilder();
        b.Append("This is the mail system at ").Append(request.ReportingMta.Ascii).Append(".\r\n\r\n");
        if (recipients.Any(r => r.Action == DsnAction.Failed))
        {
            b.Append("Your message could not be delivered to one or more recipients; no further attempts will be made for them.\r\n");
        }
        if (recipients.Any(r => r.Action == DsnAction.Delayed))
        {
            b.Append("Delivery of your message to one or more recipients is delayed; it is being retried. This is a warning only;\r\n");
            b.Append("you do not need to send the message again.\r\n");
        }
        if (recipients.Any(r => r.Action is DsnAction.Delivered or DsnAction.Relayed or DsnAction.Expanded))
        {
            b.Append("Your message was delivered to, or passed on for, one or more recipients, as you asked.\r\n");
        }
        foreach (var r in recipients)
        {
            b.Append("\r\n\t").Append(DsnFieldText.Sanitize(r.FinalRecipient.ToWireForm(international), international))
                .Append(": ").Append(DeliveryStatusFields.ActionName(r.Action)).Append(", status ").Append(DeliveryStatusFields.Status(r)).Append("\r\n");
            if (r.Response is { Code: > 0 } response)
            {
                b.Append("\tThe server ").Append(r.RemoteMta.IsEmpty ? "" : r.RemoteMta.Ascii + " ").Append("replied:\r\n");
                b.Append("\t\t").Append(DsnFieldText.Sanitize(response.Line, international)).Append("\r\n");
                foreach (var line in response.MoreLines)
                {
                    b.Append("\t\t").Append(DsnFieldText.Sanitize(line, international)).Append("\r\n");
                }
            }
            else if (!string.IsNullOrEmpty(r.Error))
            {
                b.Append("\tError: ").Append(DsnFieldText.Sanitize(r.Error, international)).Append("\r\n");
            }
            if (r.Action == DsnAction.Delayed && r.WillRetryUntil is { } until)
            {
                b.Append("\tDelivery will be retried until ").Append(DateUtils.FormatDate(until)).Append(".\r\n");
            }
        }
        return b.ToString();
    }
}
