using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace SmtpDeliver.Bounces;

/// <summary>
/// Composes delivery status notifications (RFC 3464, in a multipart/report of RFC 6522) from per-recipient
/// outcomes, the way a queue sends them after <see cref="Delivery.Deliverer.DeliverAsync"/>: failures, delays and,
/// when asked for with NOTIFY=SUCCESS, deliveries. See docs/bounces.md.
/// </summary>
/// <remarks>
/// A message from the null reverse-path, and recipients whose NOTIFY does not ask for their action, give no
/// notification (<see cref="BounceResult.SuppressedReason"/>). The notification must be sent with
/// <c>MAIL FROM:&lt;&gt;</c>; <see cref="BounceResult.ToDeliveryRequest"/> does so.
/// </remarks>
public static class BounceComposer
{
    /// <summary>Composes the notification for <paramref name="request"/>, or says why there is none.</summary>
    /// <param name="request">The original sender, the recipients to report and what to return of the message.</param>
    /// <param name="cancellationToken">Cancels reading the original message.</param>
    /// <exception cref="ArgumentException">A recipient's action is not a <see cref="DsnAction"/> value, or the size cap is negative.</exception>
    public static async Task<BounceResult> ComposeAsync(BounceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.OriginalSender);
        ArgumentNullException.ThrowIfNull(request.From);
        ArgumentNullException.ThrowIfNull(request.Recipients);
        ArgumentOutOfRangeException.ThrowIfNegative(request.MaxReturnedMessageSize);
        if (request.ReportingMta.IsEmpty)
        {
            throw new ArgumentException("ReportingMta is required (RFC 3464 2.2.2)", nameof(request));
        }
        if (request.Recipients.Any(r => !Enum.IsDefined(r.Action)))
        {
            throw new ArgumentException("a recipient has an unknown DSN action", nameof(request));
        }

        // RFC 5321 6.1, RFC 3461 6.2: never a notification about a notification.
        if (request.OriginalSender.IsNullReversePath)
        {
            return Suppressed(request, BounceSuppression.NullReversePath);
        }
        if (request.Recipients.Count == 0)
        {
            return Suppressed(request, BounceSuppression.NoRecipients);
        }
        var reported = request.Recipients.Where(Wanted).ToList();
        if (reported.Count == 0)
        {
            return Suppressed(request, request.Recipients.All(r => r.Notify == DsnNotify.Never) ? BounceSuppression.NotifyNever : BounceSuppression.NotRequested);
        }

        // RFC 6533: the internationalised types when an address needs UTF-8 or the message was sent with SMTPUTF8.
        var international = request.OriginalUsedSmtpUtf8 || request.OriginalSender.RequiresSmtpUtf8
            || reported.Any(r => r.FinalRecipient.RequiresSmtpUtf8 || r.OriginalRecipient?.RequiresSmtpUtf8 == true);
        var now = request.TimeProvider.GetUtcNow();

        var report = new MultipartReport("delivery-status");
        var text = new TextPart("plain") { Text = BounceText.Write(request, reported, international) };
        text.ContentType.Charset = "utf-8";
        // RFC 5322 2.1.1: no line above 998 octets; a long server line or non-ASCII text goes quoted-printable.
        text.ContentTransferEncoding = Ascii.IsValid(text.Text) && text.Text.Split("\r\n").All(l => l.Length <= 998)
            ? ContentEncoding.SevenBit : ContentEncoding.QuotedPrintable;
        report.Add(text);

        var statusBytes = Encoding.UTF8.GetBytes(DeliveryStatusFields.Write(request, reported, international, now));
        var status = new MessageDeliveryStatus
        {
            Content = new MimeContent(new MemoryStream(statusBytes, writable: false)),
            ContentTransferEncoding = Ascii.IsValid(statusBytes) ? ContentEncoding.SevenBit : ContentEncoding.EightBit,
        };
        if (international)
        {
            // RFC 6533 3.2.
            status.ContentType.MediaSubtype = "global-delivery-status";
        }
        report.Add(status);

        var (returned, returnedContent, originalHeaders) = await ReturnedPartAsync(request, international, cancellationToken).ConfigureAwait(false);
        if (returned is not null)
        {
            report.Add(returned);
        }

        var message = new MimeMessage();
        message.From.Add(request.From);
        message.To.Add(new MailboxAddress(string.Empty, request.OriginalSender.ToWireForm(international)));
        message.Subject = DsnFieldText.Sanitize(request.Subject, allowUtf8: true) is { Length: > 0 } subject ? subject : DefaultSubject(reported);
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(request.ReportingMta.Ascii);
        // RFC 3834 5: an automatic response.
        message.Headers.Add("Auto-Submitted", "auto-replied");
        if (originalHeaders?[HeaderId.MessageId] is { } originalId && MimeUtils.EnumerateReferences(originalId).FirstOrDefault() is { } id)
        {
            message.InReplyTo = id;
            message.References.Add(id);
        }
        message.Body = report;

        return new BounceResult
        {
            Message = message,
            Recipient = request.OriginalSender,
            ReportedRecipients = reported,
            ReturnedContent = returnedContent,
            International = international,
        };
    }

    // RFC 3461 4.1: NEVER wants nothing; no NOTIFY means failures and delays (the MTA's default), not successes.
    private static bool Wanted(BounceRecipient r)
    {
        if (r.Notify == DsnNotify.Default)
        {
            return r.Action is DsnAction.Failed or DsnAction.Delayed;
        }
        if ((r.Notify & DsnNotify.Never) != 0)
        {
            return false;
        }
        return r.Action switch
        {
            DsnAction.Failed => (r.Notify & DsnNotify.Failure) != 0,
            DsnAction.Delayed => (r.Notify & DsnNotify.Delay) != 0,
            _ => (r.Notify & DsnNotify.Success) != 0,
        };
    }

    private static string DefaultSubject(List<BounceRecipient> reported) =>
        reported.Any(r => r.Action == DsnAction.Failed) ? "Delivery Status Notification (Failure)"
        : reported.Any(r => r.Action == DsnAction.Delayed) ? "Delivery Status Notification (Delay)"
        : "Delivery Status Notification (Success)";

    private static BounceResult Suppressed(BounceRequest request, BounceSuppression reason) =>
        new() { SuppressedReason = reason, Recipient = request.OriginalSender };

    // RFC 3461 4.3, RFC 3462 2: the whole message for RET=FULL when it fits the cap; else its header section.
    private static async Task<(MimeEntity? Part, ReturnedContent Content, HeaderList? Headers)> ReturnedPartAsync(BounceRequest request, bool international, CancellationToken cancellationToken)
    {
        if (request.OpenOriginalMessage is not { } open)
        {
            return (null, ReturnedContent.None, null);
        }
        var prefix = await OriginalMessagePrefix.ReadAsync(open, request.MaxReturnedMessageSize, cancellationToken).ConfigureAwait(false);
        var (headerBytes, truncated) = prefix.HeaderSection();
        HeaderList? headers = null;
        try
        {
            using var headerStream = new MemoryStream(headerBytes, writable: false);
            headers = await HeaderList.LoadAsync(headerStream, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            // Headers MimeKit cannot read are still returned as bytes; only the threading headers are lost.
        }
        if (request.Return == DsnReturn.Full && prefix.Complete)
        {
            using var stream = new MemoryStream(prefix.Bytes, writable: false);
            var original = await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
            var part = new MessagePart(international ? "global" : "rfc822") { Message = original };
            if (!Ascii.IsValid(prefix.Bytes))
            {
                // RFC 2046 5.2.1: message/rfc822 is 7bit, 8bit or binary, never encoded.
                part.Headers[HeaderId.ContentTransferEncoding] = "8bit";
            }
            return (part, ReturnedContent.FullMessage, headers);
        }
        var content = truncated ? ReturnedContent.TruncatedHeaders : ReturnedContent.Headers;
        var eightBit = !Ascii.IsValid(headerBytes);
        var headersPart = international
            // RFC 6533 3.4.
            ? new MimePart("message", "global-headers")
            : new MimePart("text", "rfc822-headers");
        headersPart.Content = new MimeContent(new MemoryStream(headerBytes, writable: false));
        if (eightBit && !international)
        {
            // RFC 6533 3.5: 8-bit headers in a text/rfc822-headers part of a non-international notification.
            headersPart.ContentType.Charset = "utf-8";
            headersPart.ContentTransferEncoding = ContentEncoding.Base64;
        }
        else
        {
            headersPart.ContentTransferEncoding = eightBit ? ContentEncoding.EightBit : ContentEncoding.SevenBit;
        }
        return (headersPart, content, headers);
    }
}
