using MimeKit;
using SmtpDeliver.Mime;

namespace SmtpDeliver.Delivery;

/// <summary>Builds a <see cref="DeliveryRequest"/> from a MimeKit message, streamed: never held whole in memory.</summary>
/// <remarks>
/// The message is measured once (written to a stream that only counts) and written again, on demand, each time
/// the request's <see cref="DeliveryRequest.OpenMessage"/> stream is read; do not change the message until the
/// delivery is over (a changed size fails with <see cref="MimeMessageChangedException"/>). The stream is read
/// asynchronously only. See docs/mimekit.md.
/// </remarks>
public static class MimeDeliveryRequest
{
    /// <summary>
    /// The message written with CRLF line ends, Bcc and Resent-Bcc hidden; 8BITMIME is required when it has
    /// 8-bit bytes, SMTPUTF8 when an envelope address's local part or a header is not ASCII (RFC 6531),
    /// BINARYMIME when a part is binary (RFC 3030).
    /// </summary>
    /// <exception cref="FormatException">An address is not a valid RFC 5321/6531 mailbox.</exception>
    /// <exception cref="InvalidOperationException">The message is being sent by another delivery right now (MimeKit writes one message once at a time).</exception>
    public static DeliveryRequest Create(MimeMessage message, string mailFrom, IReadOnlyList<string> recipients, bool requireTls = false)
    {
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(recipients);
        return Create(message, EnvelopeAddress.ParseReversePath(mailFrom), recipients.Select(EnvelopeAddress.Parse).ToList(), requireTls);
    }

    /// <summary>
    /// The message written with CRLF line ends, Bcc and Resent-Bcc hidden; 8BITMIME is required when it has
    /// 8-bit bytes, SMTPUTF8 when an envelope address's local part or a header is not ASCII (RFC 6531),
    /// BINARYMIME when a part is binary (RFC 3030).
    /// </summary>
    public static DeliveryRequest Create(MimeMessage message, EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> recipients, bool requireTls = false) =>
        Create(message, mailFrom, recipients, MimeDeliveryOptions.Default with { RequireTls = requireTls });

    /// <summary>
    /// As <see cref="Create(MimeMessage, EnvelopeAddress, IReadOnlyList{EnvelopeAddress}, bool)"/>, with REQUIRETLS,
    /// DSN and the hiding of Bcc taken from <paramref name="options"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A recipient is null or the null reverse-path.</exception>
    /// <exception cref="InvalidOperationException">The message is being sent by another delivery right now (MimeKit writes one message once at a time).</exception>
    public static DeliveryRequest Create(MimeMessage message, EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> recipients, MimeDeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(options);
        var envelopeNeedsSmtpUtf8 = mailFrom.RequiresSmtpUtf8;
        foreach (var r in recipients)
        {
            if (r is null || r.IsNullReversePath)
            {
                throw new ArgumentException("a recipient is null or the null reverse-path", nameof(recipients));
            }
            envelopeNeedsSmtpUtf8 |= r.RequiresSmtpUtf8;
        }
        var source = MimeMessageSource.Prepare(message, envelopeNeedsSmtpUtf8, options.HideBcc);
        var requirements = source.Requirements;
        if (options.RequireTls)
        {
            requirements |= DeliveryRequirements.RequireTls;
        }
        return new DeliveryRequest
        {
            MailFrom = mailFrom,
            Recipients = recipients,
            OpenMessage = source.Open,
            Size = source.Size,
            Requirements = requirements,
            Dsn = options.Dsn,
            // RFC 8689 5: the header field asks to ignore TLS verification failures.
            TlsRequiredNo = string.Equals(message.Headers["TLS-Required"]?.Trim(), "No", StringComparison.OrdinalIgnoreCase),
        };
    }
}
