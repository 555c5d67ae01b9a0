using MimeKit;

namespace SmtpDeliver.Mime;

/// <summary>
/// The envelope of a MimeKit message when the caller gives none, as MailKit takes it: with Resent-* headers
/// (RFC 5322 3.6.6, a resent message) the Resent-Sender or first Resent-From and the Resent-To, -Cc and -Bcc
/// mailboxes; otherwise the Sender or first From and the To, Cc and Bcc mailboxes (groups expanded, each
/// address once).
/// </summary>
internal static class MimeEnvelope
{
    /// <exception cref="ArgumentException">No sender or no recipient in the message.</exception>
    /// <exception cref="FormatException">A mailbox is not a valid RFC 5321/6531 address.</exception>
    public static (EnvelopeAddress MailFrom, IReadOnlyList<EnvelopeAddress> Recipients) From(MimeMessage message)
    {
        var resent = message.ResentSender is not null || message.ResentFrom.Count > 0;
        var sender = resent
            ? message.ResentSender ?? message.ResentFrom.Mailboxes.FirstOrDefault()
            : message.Sender ?? message.From.Mailboxes.FirstOrDefault();
        if (sender is null)
        {
            throw new ArgumentException("the message has no Sender or From mailbox for the envelope sender", nameof(message));
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var recipients = new List<EnvelopeAddress>();
        var lists = resent
            ? new[] { message.ResentTo, message.ResentCc, message.ResentBcc }
            : new[] { message.To, message.Cc, message.Bcc };
        foreach (var list in lists)
        {
            foreach (var mailbox in list.Mailboxes)
            {
                if (seen.Add(mailbox.Address))
                {
                    recipients.Add(Parse(mailbox));
                }
            }
        }
        if (recipients.Count == 0)
        {
            throw new ArgumentException("the message has no To, Cc or Bcc mailbox for the envelope recipients", nameof(message));
        }
        return (Parse(sender), recipients);
    }

    private static EnvelopeAddress Parse(MailboxAddress mailbox)
    {
        if (!EnvelopeAddress.TryParse(mailbox.Address, out var address, out var error))
        {
            throw new FormatException($"mailbox {mailbox.Address}: {error}");
        }
        return address;
    }
}
