using System.Text;
using MimeKit.Utils;

namespace SmtpDeliver.Bounces;

/// <summary>
/// Writes the body of a message/delivery-status part (RFC 3464 2.1): per-message fields, then a blank line and
/// the fields of each recipient. In the international form (message/global-delivery-status, RFC 6533 3.2)
/// addresses with a non-ASCII local part have the utf-8 type and are written in UTF-8.
/// </summary>
internal static class DeliveryStatusFields
{
    public static string Write(BounceRequest request, IReadOnlyList<BounceRecipient> recipients, bool international, DateTimeOffset now)
    {
        var b = new StringBuilder();
        // RFC 3464 2.2: per-message fields.
        if (!string.IsNullOrEmpty(request.EnvelopeId))
        {
            // RFC 3464 2.2.1: the ENVID, xtext-decoded; an envid is printable ASCII (RFC 3461 4.4).
            DsnFieldText.AppendField(b, "Original-Envelope-Id", DsnFieldText.Sanitize(request.EnvelopeId, allowUtf8: false));
        }
        DsnFieldText.AppendField(b, "Reporting-MTA", "dns; " + request.ReportingMta.Ascii);
        DsnFieldText.AppendField(b, "Arrival-Date", DateUtils.FormatDate(request.ArrivalDate));
        foreach (var r in recipients)
        {
            // RFC 3464 2.1: the groups are separated by a blank line.
            b.Append("\r\n");
            if (r.OriginalRecipient is { } original)
            {
                DsnFieldText.AppendField(b, "Original-Recipient", TypedAddress(original, international));
            }
            DsnFieldText.AppendField(b, "Final-Recipient", TypedAddress(r.FinalRecipient, international));
            DsnFieldText.AppendField(b, "Action", ActionName(r.Action));
            DsnFieldText.AppendField(b, "Status", Status(r));
            if (!r.RemoteMta.IsEmpty)
            {
                DsnFieldText.AppendField(b, "Remote-MTA", "dns; " + r.RemoteMta.Ascii);
            }
            if (r.Response is { Code: > 0 } response)
            {
                // RFC 3464 2.3.6, RFC 3461 6.2: "smtp;" and the reply, every line of it, as received.
                var lines = new List<string> { DsnFieldText.Sanitize(response.Line, international) };
                lines.AddRange(response.MoreLines.Select(l => DsnFieldText.Sanitize(l, international)));
                DsnFieldText.AppendField(b, "Diagnostic-Code", "smtp; " + DsnFieldText.Sanitize(string.Join(' ', lines), international));
            }
            DsnFieldText.AppendField(b, "Last-Attempt-Date", DateUtils.FormatDate(r.LastAttemptDate ?? now));
            if (r.Action == DsnAction.Delayed && r.WillRetryUntil is { } until)
            {
                DsnFieldText.AppendField(b, "Will-Retry-Until", DateUtils.FormatDate(until));
            }
        }
        return b.ToString();
    }

    /// <summary>RFC 3464 2.3.3 action values.</summary>
    public static string ActionName(DsnAction action) => action switch
    {
        DsnAction.Failed => "failed",
        DsnAction.Delayed => "delayed",
        DsnAction.Delivered => "delivered",
        DsnAction.Relayed => "relayed",
        DsnAction.Expanded => "expanded",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown DSN action"),
    };

    /// <summary>
    /// RFC 3464 2.3.4: the server's enhanced code (RFC 3463) when it is well-formed, else the class of its reply code
    /// (4.0.0, 5.0.0, 2.0.0), else the action's (failed 5.0.0, delayed 4.0.0, others 2.0.0).
    /// </summary>
    public static string Status(BounceRecipient r)
    {
        if (r.Response is { } response)
        {
            if (IsEnhancedCode(response.EnhancedStatusCode))
            {
                return response.EnhancedStatusCode;
            }
            switch (response.Code / 100)
            {
                case 2: return "2.0.0";
                case 4: return "4.0.0";
                case 5: return "5.0.0";
            }
        }
        return r.Action switch
        {
            DsnAction.Failed => "5.0.0",
            DsnAction.Delayed => "4.0.0",
            _ => "2.0.0",
        };
    }

    // RFC 3463 2: class "." subject "." detail; class 2, 4 or 5, subject and detail 1 to 3 digits.
    private static bool IsEnhancedCode(string code)
    {
        var parts = code.Split('.');
        return parts.Length == 3 && parts[0] is "2" or "4" or "5"
            && parts[1].Length is >= 1 and <= 3 && parts[1].All(char.IsAsciiDigit)
            && parts[2].Length is >= 1 and <= 3 && parts[2].All(char.IsAsciiDigit);
    }

    // RFC 3464 2.3.2 / RFC 6533 3: "rfc822;" with the ASCII form, or "utf-8;" for a local part that needs UTF-8.
    private static string TypedAddress(EnvelopeAddress address, bool international) =>
        international && address.RequiresSmtpUtf8
            ? "utf-8; " + DsnFieldText.Sanitize(address.ToWireForm(smtpUtf8: true), allowUtf8: true)
            : "rfc822; " + DsnFieldText.Sanitize(address.ToWireForm(smtpUtf8: false), allowUtf8: false);
}
