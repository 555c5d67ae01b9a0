using MimeKit;
using SmtpDeliver.Delivery;

namespace SmtpDeliver.Tests.Delivery;

public class MimeDeliveryRequestTests
{
    private static MimeMessage Message(string subject, string body)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("a@example.org"));
        m.To.Add(MailboxAddress.Parse("b@example.org"));
        m.Subject = subject;
        m.Body = new TextPart("plain") { Text = body, ContentTransferEncoding = ContentEncoding.EightBit };
        return m;
    }

    [Fact]
    public void Ascii_message_needs_nothing_and_has_crlf_line_ends()
    {
        var r = MimeDeliveryRequest.Create(Message("hi", "hello\n"), "a@example.org", ["b@example.org"]);
        Assert.Equal(DeliveryRequirements.None, r.Requirements);
        using var s = r.OpenMessage();
        var text = new StreamReader(s).ReadToEnd();
        Assert.DoesNotContain("\n", text.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(r.Size, new System.Text.UTF8Encoding().GetByteCount(text));
    }

    [Fact]
    public void Eight_bit_body_and_international_headers_or_addresses_are_detected()
    {
        Assert.Equal(DeliveryRequirements.EightBitMime, MimeDeliveryRequest.Create(Message("hi", "Grüße\n"), "a@example.org", ["b@example.org"]).Requirements);
        Assert.True(MimeDeliveryRequest.Create(Message("hi", "x\n"), "a@example.org", ["jürgen@example.org"]).Requirements.HasFlag(DeliveryRequirements.SmtpUtf8));
    }

    [Fact]
    public void Tls_required_no_header_is_honoured()
    {
        var m = Message("hi", "x\n");
        m.Headers.Add("TLS-Required", "No");
        Assert.True(MimeDeliveryRequest.Create(m, "a@example.org", ["b@example.org"]).TlsRequiredNo);
    }
}
