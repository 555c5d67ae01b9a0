using MimeKit;
using SmtpDeliver.Delivery;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// A TLSRPT report as an email message (RFC 8460 5.3), for a mailto: destination: multipart/report with
/// report-type "tlsrpt", the TLS-Report-Domain and TLS-Report-Submitter header fields, a text part and the
/// gzipped report as an application/tlsrpt+gzip attachment. <see cref="Request"/> is marked as a report:
/// <see cref="TlsRptAggregator.RecordAsync(DeliveryRequest, DeliveryOutcome, CancellationToken)"/> records
/// nothing for it (RFC 8460 3: no reports about reports).
/// </summary>
public sealed class TlsRptReportMessage
{
    /// <summary>The value of report-type in the Content-Type of a TLSRPT report message (RFC 8460 5.3).</summary>
    public const string ReportType = "tlsrpt";

    private TlsRptReportMessage(MimeMessage message, DeliveryRequest request)
    {
        Message = message;
        Request = request;
    }

    /// <summary>The message (sign it with DKIM before delivery, RFC 8460 5.3; see docs/tlsrpt-reports.md).</summary>
    public MimeMessage Message { get; }

    /// <summary>The message ready for a <see cref="Deliverer"/>, marked as a TLSRPT report.</summary>
    public DeliveryRequest Request { get; }

    /// <summary>The message's size in bytes, as written for delivery.</summary>
    public long Size => Request.Size;

    /// <summary>
    /// True when <paramref name="request"/> is marked as a TLSRPT report (<see cref="DeliveryRequest.IsTlsRptReport"/>,
    /// set by <see cref="Create"/> and <see cref="MarkAsReport"/>): its TLSRPT results must not be recorded (RFC 8460 3).
    /// </summary>
    public static bool IsReport(DeliveryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.IsTlsRptReport;
    }

    /// <summary>True when <paramref name="message"/> is a TLSRPT report message: multipart/report with report-type "tlsrpt".</summary>
    public static bool IsReport(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var type = message.Body?.ContentType;
        return type is not null && type.IsMimeType("multipart", "report")
            && string.Equals(type.Parameters["report-type"], ReportType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A copy of <paramref name="request"/> (e.g. rebuilt from a stored report message) marked as a TLSRPT
    /// report (<see cref="DeliveryRequest.IsTlsRptReport"/>); use the returned request.
    /// </summary>
    public static DeliveryRequest MarkAsReport(DeliveryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.IsTlsRptReport ? request : request with { IsTlsRptReport = true };
    }

    /// <summary>Builds the report message of RFC 8460 5.3.</summary>
    /// <param name="report">The report (for its id and period).</param>
    /// <param name="file">The gzipped report and its file name.</param>
    /// <param name="policyDomain">The policy domain the report is about (ASCII).</param>
    /// <param name="submitter">The submitter's domain (ASCII).</param>
    /// <param name="from">The From address, also the envelope sender, e.g. tlsrpt-noreply@submitter.</param>
    /// <param name="to">The rua mailbox.</param>
    /// <param name="date">The Date header field.</param>
    public static TlsRptReportMessage Create(TlsRptReport report, TlsRptReportFile file, string policyDomain, string submitter, EnvelopeAddress from, EnvelopeAddress to, DateTimeOffset date)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrEmpty(policyDomain);
        ArgumentException.ThrowIfNullOrEmpty(submitter);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var message = new MimeMessage
        {
            Date = date,
            MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(submitter),
            // RFC 8460 5.3: "Report Domain: <policy domain> Submitter: <submitter> Report-ID: <report id>".
            Subject = $"Report Domain: {policyDomain} Submitter: {submitter} Report-ID: <{report.ReportId}>",
        };
        message.From.Add(new MailboxAddress(null, from.ToString()));
        message.To.Add(new MailboxAddress(null, to.ToString()));
        // RFC 8460 5.3: the two header fields naming the policy domain and the submitter.
        message.Headers.Add("TLS-Report-Domain", policyDomain);
        message.Headers.Add("TLS-Report-Submitter", submitter);
        var text = new TextPart("plain")
        {
            Text = $"""
                This is an aggregate TLS report (RFC 8460) from {submitter}.

                Policy domain: {policyDomain}
                Submitter: {submitter}
                Report-ID: {report.ReportId}
                Period: {report.DateRange.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC to {report.DateRange.End.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC

                The report is attached as {file.FileName}.

                """.ReplaceLineEndings("\r\n"),
        };
        var attachment = new MimePart(TlsRptReportFile.MediaType)
        {
            Content = new MimeContent(new MemoryStream(file.Content.ToArray(), writable: false)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = file.FileName },
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        attachment.ContentType.Name = file.FileName;
        var body = new MultipartReport(ReportType) { text, attachment };
        message.Body = body;
        var request = MimeDeliveryRequest.Create(message, from, [to]);
        return new TlsRptReportMessage(message, MarkAsReport(request));
    }
}
