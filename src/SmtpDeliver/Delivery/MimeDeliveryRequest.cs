using MimeKit;

namespace SmtpDeliver.Delivery;

/// <summary>Builds a <see cref="DeliveryRequest"/> from a MimeKit message.</summary>
public static class MimeDeliveryRequest
{
    /// <summary>
    /// The message written once with CRLF line ends; 8BITMIME is required when it has 8-bit bytes, SMTPUTF8
    /// when an envelope address or a header is not ASCII (RFC 6531).
    /// </summary>
    /// <exception cref="FormatException">An address is not a valid RFC 5321/6531 mailbox.</exception>
    public static DeliveryRequest Create(MimeMessage message, string mailFrom, IReadOnlyList<string> recipients, bool requireTls = false)
    {
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(recipients);
        return Create(message, EnvelopeAddress.ParseReversePath(mailFrom), recipients.Select(EnvelopeAddress.Parse).ToList(), requireTls);
    }

    /// <summary>
    /// The message written once with CRLF line ends; 8BITMIME is required when it has 8-bit bytes, SMTPUTF8
    /// when an envelope address's local part or a header is not ASCII (RFC 6531).
    /// </summary>
    public static DeliveryRequest Create(MimeMessage message, EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> recipients, bool requireTls = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(recipients);
        using var buffer = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos, International = true }, buffer);
        var bytes = buffer.ToArray();
        var headerEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var headers = headerEnd < 0 ? bytes : bytes.AsSpan(0, headerEnd).ToArray();
        var requirements = DeliveryRequirements.None;
        if (requireTls)
        {
            requirements |= DeliveryRequirements.RequireTls;
        }
        if (bytes.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0)
        {
            requirements |= DeliveryRequirements.EightBitMime;
        }
        if (headers.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0 || mailFrom.RequiresSmtpUtf8 || recipients.Any(r => r.RequiresSmtpUtf8))
        {
            requirements |= DeliveryRequirements.SmtpUtf8;
        }
        return new DeliveryRequest
        {
            MailFrom = mailFrom,
            Recipients = recipients,
            OpenMessage = () => new MemoryStream(bytes, writable: false),
            Size = bytes.Length,
            Requirements = requirements,
            // RFC 8689 5: the header field asks to ignore TLS verification failures.
            TlsRequiredNo = string.Equals(message.Headers["TLS-Required"]?.Trim(), "No", StringComparison.OrdinalIgnoreCase),
        };
    }
}
