using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpDeliver.Mime;
using SmtpDeliver.Names;

namespace SmtpDeliver.IntegrationTests.Session;

/// <summary>
/// Issue 13 item 3 against the real Postfix (CHUNKING, PIPELINING, 8BITMIME, SIZE 1048576): a MimeKit message written
/// once straight into BDAT chunks, or measured first, arrives exactly as MimeKit writes it; one over Postfix's size
/// limit is stopped before its LAST chunk and the session goes on.
/// </summary>
public class PostfixMimeDeliveryTests
{
    private static readonly EnvelopeAddress Sender = EnvelopeAddress.Parse("sender@client.example.test");

    private static async Task<SmtpClientSession> ConnectAsync(ILogger logger)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IntegrationEnvironment.Get("postfix", "HOST"), IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"));
        return await SmtpClientSession.ConnectAsync(socket, new SmtpSessionOptions
        {
            RootCertificates = [X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"))],
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
            TlsMode = TlsMode.Opportunistic,
            EnforcePkix = true,
            EhloHostname = Domain.Parse("client.example.test"),
            RemoteHostname = Domain.Parse(IntegrationEnvironment.Get("postfix", "SERVER_NAME")),
            Logger = logger,
        });
    }

    /// <summary>A multipart message: 8-bit text (with lines starting with a dot) and a base64 attachment of <paramref name="attachmentBytes"/>.</summary>
    private static (MimeMessage Message, string Marker) Message(int attachmentBytes)
    {
        var marker = Guid.NewGuid().ToString("N");
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress("Sender", "sender@client.example.test"));
        m.To.Add(new MailboxAddress("User", "user@example.test"));
        m.Subject = "mime " + marker;
        m.MessageId = marker + "@client.example.test";
        m.Date = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        var text = new TextPart("plain") { Text = "Grüße aus Köln\n.a line starting with a dot\n..two\n", ContentTransferEncoding = ContentEncoding.EightBit };
        var data = new byte[attachmentBytes];
        new Random(7).NextBytes(data);
        var attachment = new MimePart("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(data)),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = "data.bin",
        };
        m.Body = new Multipart("mixed") { text, attachment };
        return (m, marker);
    }

    /// <summary>Postfix stores the message with LF line ends after its own headers: the rest is MimeKit's, byte for byte.</summary>
    private static void AssertDeliveredAsMimeKitWritesIt(MimeMessage message, byte[] delivered)
    {
        using var expected = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Unix }, expected);
        Assert.EndsWith(Encoding.UTF8.GetString(expected.ToArray()), Encoding.UTF8.GetString(delivered), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2_000, false)]
    [InlineData(300_000, false)]
    [InlineData(300_000, true)]
    public async Task Message_arrives_as_MimeKit_writes_it(int attachmentBytes, bool measureFirst)
    {
        var log = new CapturingLogger();
        var (message, marker) = Message(attachmentBytes);
        await using (var c = await ConnectAsync(log))
        {
            Assert.True(c.Extensions.Chunking && c.Extensions.Pipelining && c.Extensions.MaxSize == 1048576);
            var r = await c.DeliverMessageAsync(message, Sender, [EnvelopeAddress.Parse("user@example.test")], new MimeDeliveryOptions { MeasureFirst = measureFirst });
            Assert.True(r.Single().IsSuccess);
            await c.CloseAsync();
        }
        var mail = log.Lines.Single(l => l.StartsWith("LC: MAIL FROM:", StringComparison.Ordinal));
        // One chunk, or measured: the exact size; larger and not measured: no SIZE, 8BITMIME declared.
        Assert.Equal(attachmentBytes < 30_000 || measureFirst, mail.Contains(" SIZE=", StringComparison.Ordinal));
        Assert.Contains(" BODY=8BITMIME", mail, StringComparison.Ordinal);
        Assert.DoesNotContain("LC: DATA", log.Lines);
        AssertDeliveredAsMimeKitWritesIt(message, await Maildir.DeliveredAsync("user@example.test", marker));
    }

    [Fact]
    public async Task Message_over_the_size_limit_stops_before_its_last_chunk_and_the_session_goes_on()
    {
        var log = new CapturingLogger();
        var (big, _) = Message(1_200_000);
        var (small, marker) = Message(1_000);
        await using (var c = await ConnectAsync(log))
        {
            var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMessageAsync(big, Sender, [EnvelopeAddress.Parse("rcpt1@example.test")]));
            // Ours (the chunk that would pass 1048576 bytes is not sent) or Postfix's 552 to a chunk, whichever comes
            // first (Postfix counts its own headers too): permanent, the message never complete, the session usable.
            Assert.True(e.Reason == SmtpErrorReason.MessageTooLarge || (e.Reason, e.Response.Code) == (SmtpErrorReason.Status, 552), e.ToString());
            Assert.Equal((true, false, false, false), (e.Permanent, e.MessageDataSent, e.DeliveryUncertain, c.IsBroken));
            await c.DeliverMessageAsync(small, Sender, [EnvelopeAddress.Parse("rcpt1@example.test")]);
            await c.CloseAsync();
        }
        // At most 16 chunks of 64 KiB (1048576 bytes); only the small message had a LAST chunk; RSET ended the big one.
        Assert.InRange(log.Lines.Count(l => l == "LC: BDAT 65536"), 1, 16);
        Assert.Single(log.Lines, l => l.StartsWith("LC: BDAT ", StringComparison.Ordinal) && l.EndsWith(" LAST", StringComparison.Ordinal));
        Assert.Contains("LC: RSET", log.Lines);
        AssertDeliveredAsMimeKitWritesIt(small, await Maildir.DeliveredAsync("rcpt1@example.test", marker));
    }
}
