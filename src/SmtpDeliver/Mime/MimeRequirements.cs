using System.Text;
using MimeKit;

namespace SmtpDeliver.Mime;

/// <summary>What a MimeKit message needs from the server, found from its structure (no bytes written).</summary>
internal static class MimeRequirements
{
    /// <summary>
    /// SMTPUTF8 (RFC 6531 3.4, RFC 6532 3.2) when a header of the message or of any part has raw 8-bit bytes
    /// (UTF-8 written as is, not RFC 2047 encoded), or an address header has a mailbox whose local part is not
    /// ASCII (it has no 7-bit form; a domain has one, its A-labels). BINARYMIME (RFC 3030 3) when a part's
    /// Content-Transfer-Encoding is binary; 8BITMIME when one is 8bit with content that has 8-bit bytes is
    /// left to the measuring pass, which sees the bytes.
    /// </summary>
    public static DeliveryRequirements FromStructure(MimeMessage message)
    {
        var requirements = DeliveryRequirements.None;
        Visit(message, ref requirements, depth: 0);
        return requirements;
    }

    private static void Visit(MimeMessage message, ref DeliveryRequirements requirements, int depth)
    {
        if (HasInternationalHeaders(message.Headers) || HasInternationalMailboxes(message))
        {
            requirements |= DeliveryRequirements.SmtpUtf8;
        }
        if (message.Body is { } body)
        {
            Visit(body, ref requirements, depth);
        }
    }

    private static void Visit(MimeEntity entity, ref DeliveryRequirements requirements, int depth)
    {
        // A hostile parsed message could nest deeply; MimeKit's own parser caps nesting, this is a guard.
        if (depth > 256)
        {
            return;
        }
        if (HasInternationalHeaders(entity.Headers))
        {
            requirements |= DeliveryRequirements.SmtpUtf8;
        }
        switch (entity)
        {
            case Multipart multipart:
                foreach (var part in multipart)
                {
                    Visit(part, ref requirements, depth + 1);
                }
                break;
            case MessagePart { Message: { } inner }:
                Visit(inner, ref requirements, depth + 1);
                break;
            case MimePart part when part.ContentTransferEncoding == ContentEncoding.Binary:
                // RFC 3030 3: binary content is sent with BODY=BINARYMIME in BDAT chunks.
                requirements |= DeliveryRequirements.BinaryMime;
                break;
        }
    }

    private static bool HasInternationalHeaders(HeaderList headers)
    {
        foreach (var header in headers)
        {
            if (header.RawValue.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    private static bool HasInternationalMailboxes(MimeMessage message) =>
        HasInternationalLocalPart(message.From) || HasInternationalLocalPart(message.Sender) || HasInternationalLocalPart(message.ReplyTo)
        || HasInternationalLocalPart(message.To) || HasInternationalLocalPart(message.Cc) || HasInternationalLocalPart(message.Bcc)
        || HasInternationalLocalPart(message.ResentFrom) || HasInternationalLocalPart(message.ResentSender) || HasInternationalLocalPart(message.ResentReplyTo)
        || HasInternationalLocalPart(message.ResentTo) || HasInternationalLocalPart(message.ResentCc) || HasInternationalLocalPart(message.ResentBcc);

    // By index, groups walked by hand: InternetAddressList.Mailboxes is an iterator, an allocation per list per message.
    private static bool HasInternationalLocalPart(InternetAddressList list, int depth = 0)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var found = list[i] switch
            {
                MailboxAddress mailbox => HasInternationalLocalPart(mailbox),
                // RFC 5322 3.4: groups do not nest; one nested anyway is walked to a depth MimeKit's parser never
                // produces (3 by default), and deeper than that counts as needing SMTPUTF8 rather than going unchecked.
                GroupAddress group => depth >= 64 || HasInternationalLocalPart(group.Members, depth + 1),
                _ => false,
            };
            if (found)
            {
                return true;
            }
        }
        return false;
    }

    private static bool HasInternationalLocalPart(MailboxAddress? mailbox) =>
        mailbox is not null && !Ascii.IsValid(mailbox.LocalPart);
}
