using System.Text;
using MimeKit;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Mime;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Mime;
using SmtpDeliver.Tests.Support;

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
    public async Task Ascii_message_needs_nothing_and_has_crlf_line_ends()
    {
        var r = MimeDeliveryRequest.Create(Message("hi", "hello\n"), "a@example.org", ["b@example.org"]);
        Assert.Equal(DeliveryRequirements.None, r.Requirements);
        await using var s = r.OpenMessage();
        var text = await new StreamReader(s).ReadToEndAsync();
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

    private static DeliveryRequest Create(MimeMessage m, string rcpt = "b@example.org") =>
        MimeDeliveryRequest.Create(m, "a@example.org", [rcpt]);

    private static MimeMessage Parsed(string text) =>
        MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal))));

    [Fact]
    public void Eight_bit_label_on_ascii_content_needs_nothing_but_eight_bit_bytes_do()
    {
        Assert.Equal(DeliveryRequirements.None, Create(Message("hi", "plain ascii\n")).Requirements);
        Assert.Equal(DeliveryRequirements.EightBitMime, Create(Message("hi", "Grüße\n")).Requirements);
    }

    [Fact]
    public async Task Non_ascii_subject_is_rfc2047_encoded_and_needs_nothing()
    {
        var r = Create(Message("Grüße", "x\n"));
        Assert.Equal(DeliveryRequirements.None, r.Requirements);
        await using var s = r.OpenMessage();
        var bytes = await MimeWire.ReadAllAsync(s);
        Assert.True(Ascii.IsValid(bytes));
        Assert.Contains("=?utf-8?", Encoding.ASCII.GetString(bytes), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Raw_utf8_header_needs_smtputf8_and_is_sent_as_is()
    {
        var m = Parsed("From: a@example.org\nTo: b@example.org\nSubject: Grüße\n\nbody\n");
        var r = Create(m);
        Assert.Equal(DeliveryRequirements.SmtpUtf8 | DeliveryRequirements.EightBitMime, r.Requirements);
        await using var s = r.OpenMessage();
        Assert.Contains("Subject: Grüße", Encoding.UTF8.GetString(await MimeWire.ReadAllAsync(s)), StringComparison.Ordinal);
    }

    [Fact]
    public void Raw_utf8_header_of_a_nested_part_needs_smtputf8()
    {
        var m = Parsed("From: a@example.org\nTo: b@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"größe.bin\"\nContent-Transfer-Encoding: base64\n\nAAAA\n--b--\n");
        Assert.True(Create(m).Requirements.HasFlag(DeliveryRequirements.SmtpUtf8));
    }

    [Fact]
    public async Task Non_ascii_local_part_in_a_header_needs_smtputf8_and_is_written_in_utf8()
    {
        var m = Message("hi", "x\n");
        m.To.Clear();
        m.To.Add(new MailboxAddress("", "jürgen@example.org"));
        var r = Create(m);
        Assert.True(r.Requirements.HasFlag(DeliveryRequirements.SmtpUtf8));
        await using var s = r.OpenMessage();
        Assert.Contains("jürgen@example.org", Encoding.UTF8.GetString(await MimeWire.ReadAllAsync(s)), StringComparison.Ordinal);
    }

    [Fact]
    public void Non_ascii_domain_only_in_a_header_needs_nothing()
    {
        var m = Message("hi", "x\n");
        m.To.Clear();
        m.To.Add(new MailboxAddress("", "b@bücher.example"));
        Assert.Equal(DeliveryRequirements.None, Create(m).Requirements);
    }

    [Fact]
    public void Smtputf8_envelope_writes_headers_in_utf8()
    {
        var r = Create(Message("Grüße", "x\n"), "jürgen@example.org");
        Assert.Equal(DeliveryRequirements.SmtpUtf8 | DeliveryRequirements.EightBitMime, r.Requirements);
    }

    [Fact]
    public void Binary_part_needs_binarymime()
    {
        var m = Message("hi", "x\n");
        m.Body = new MimePart("application", "octet-stream") { Content = new MimeContent(new MemoryStream([0, 1, 2, 10, 13, 0xff])), ContentTransferEncoding = ContentEncoding.Binary };
        Assert.True(Create(m).Requirements.HasFlag(DeliveryRequirements.BinaryMime));
        Assert.False(Create(Message("hi", "x\n")).Requirements.HasFlag(DeliveryRequirements.BinaryMime));
    }

    [Fact]
    public async Task Bcc_is_hidden_unless_asked_and_options_carry_requiretls_and_dsn()
    {
        var m = Message("hi", "x\n");
        m.Bcc.Add(MailboxAddress.Parse("secret@example.org"));
        var hidden = Create(m);
        await using (var s = hidden.OpenMessage())
        {
            Assert.DoesNotContain("secret@", Encoding.ASCII.GetString(await MimeWire.ReadAllAsync(s)), StringComparison.Ordinal);
        }
        var dsn = new DsnRequest { Return = DsnReturn.Headers };
        var shown = MimeDeliveryRequest.Create(m, EnvelopeAddress.Parse("a@example.org"), [EnvelopeAddress.Parse("b@example.org")], new MimeDeliveryOptions { HideBcc = false, RequireTls = true, Dsn = dsn });
        await using (var s = shown.OpenMessage())
        {
            Assert.Contains("Bcc: secret@example.org", Encoding.ASCII.GetString(await MimeWire.ReadAllAsync(s)), StringComparison.Ordinal);
        }
        Assert.True(shown.RequireTls);
        Assert.Same(dsn, shown.Dsn);
        Assert.Equal(MimeWire.Serialise(m).Length, shown.Size);
    }

    [Fact]
    public async Task Deliverer_opens_the_message_once_per_transaction_and_each_gets_mimekits_bytes()
    {
        var m = MimeWire.Multipart(50_000);
        var wire = MimeWire.Data(MimeWire.Serialise(m, hideBcc: true));
        var received = new List<byte[]>();
        await using var server = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO client.example");
            await ss.WriteLineAsync("250-mx.example");
            await ss.WriteLineAsync("250 LIMITS RCPTMAX=1");
            foreach (var r in new[] { "r1@example.org", "r2@example.org" })
            {
                await ss.ExpectPrefixAsync("MAIL FROM:<a@client.example>");
                await ss.WriteLineAsync("250 ok");
                await ss.ExpectAsync($"RCPT TO:<{r}>");
                await ss.WriteLineAsync("250 ok");
                await ss.ExpectAsync("DATA");
                await ss.WriteLineAsync("354 go");
                received.Add(await ss.ReadExactAsync(wire.Length));
                await ss.WriteLineAsync("250 queued");
            }
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = new InMemoryResolver { Mx = { ["example.org."] = [new MxRecord("mx.example.org.", 10)] }, A = { ["mx.example.org."] = ["127.0.0.1"] } },
            EhloHostname = Domain.Parse("client.example"),
            Port = server.EndPoint.Port,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
        });
        var outcome = await deliverer.DeliverAsync(MimeDeliveryRequest.Create(m, "a@client.example", ["r1@example.org", "r2@example.org"]));
        await server.CompletionAsync();
        Assert.All(outcome.Recipients, r => Assert.Equal(RecipientStatus.Delivered, r.Status));
        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.Equal(wire, r));
    }
}
