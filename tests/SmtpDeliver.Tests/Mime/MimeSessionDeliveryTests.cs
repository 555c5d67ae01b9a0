using System.Text;
using MimeKit;
using SmtpDeliver.Mime;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Mime;

/// <summary>Issue 13: a MimeKit message delivered over a session, streamed, envelope from the message.</summary>
public class MimeSessionDeliveryTests
{
    private static Task<SmtpClientSession> ConnectAsync(ScriptedSmtpServer s) => MimeWire.ConnectAsync(s);

    private static async Task GreetAsync(ServerSession ss, params string[] extensions)
    {
        await ss.WriteLineAsync("220 mx.example");
        await ss.ExpectAsync("EHLO localhost");
        for (var i = 0; i < extensions.Length; i++)
        {
            await ss.WriteLineAsync((i == extensions.Length - 1 ? "250 " : "250-") + extensions[i]);
        }
    }

    /// <summary>One transaction; returns the DATA bytes as received (dot-stuffed, with the end marker).</summary>
    private static async Task<byte[]> TransactionAsync(ServerSession ss, string mailFrom, string[] rcpts, int dataLength)
    {
        await ss.ExpectAsync(mailFrom);
        await ss.WriteLineAsync("250 ok");
        foreach (var r in rcpts)
        {
            await ss.ExpectAsync($"RCPT TO:<{r}>");
            await ss.WriteLineAsync("250 ok");
        }
        await ss.ExpectAsync("DATA");
        await ss.WriteLineAsync("354 go");
        var data = await ss.ReadExactAsync(dataLength);
        await ss.WriteLineAsync("250 queued");
        return data;
    }

    [Fact]
    public async Task Multipart_message_with_attachments_arrives_as_MimeKit_writes_it_with_bcc_hidden_and_envelope_from_headers()
    {
        var m = MimeWire.Multipart(20_000);
        var expected = MimeWire.Serialise(m, hideBcc: true);
        var wire = MimeWire.Data(expected);
        byte[]? received = null;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, "mx.example", "SIZE 10000000");
            received = await TransactionAsync(ss, $"MAIL FROM:<alice@example.org> SIZE={expected.Length}", ["bob@example.net", "carol@example.net", "dave@example.com"], wire.Length);
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        await using (var c = await ConnectAsync(s))
        {
            var r = await c.DeliverMessageAsync(m);
            Assert.Equal(3, r.Count);
            Assert.All(r, x => Assert.True(x.IsSuccess));
            await c.CloseAsync();
        }
        await s.CompletionAsync();
        Assert.Equal(wire, received);
        Assert.DoesNotContain("Bcc:", Encoding.ASCII.GetString(received!), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("dave@example.com", m.Bcc.ToString(), StringComparison.Ordinal); // the message itself is unchanged
    }

    [Fact]
    public async Task Resent_headers_give_the_envelope_of_a_resent_message()
    {
        var m = MimeWire.Multipart(10);
        m.ResentFrom.Add(MailboxAddress.Parse("list@example.org"));
        m.ResentTo.Add(MailboxAddress.Parse("member@example.net"));
        m.ResentBcc.Add(MailboxAddress.Parse("Member@example.net"));
        var expected = MimeWire.Serialise(m, hideBcc: true);
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, "mx.example");
            await TransactionAsync(ss, "MAIL FROM:<list@example.org>", ["member@example.net"], MimeWire.Data(expected).Length);
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        await using (var c = await ConnectAsync(s))
        {
            Assert.Single(await c.DeliverMessageAsync(m));
            await c.CloseAsync();
        }
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Explicit_envelope_and_requiretls_and_8bitmime_go_on_mail_from()
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("a@example.org"));
        m.To.Add(MailboxAddress.Parse("b@example.org"));
        m.Body = new TextPart("plain") { Text = "Grüße\n", ContentTransferEncoding = ContentEncoding.EightBit };
        var expected = MimeWire.Serialise(m);
        byte[]? received = null;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, "mx.example", "8BITMIME", "REQUIRETLS");
            received = await TransactionAsync(ss, "MAIL FROM:<bounce@example.org> BODY=8BITMIME REQUIRETLS", ["x@example.com"], MimeWire.Data(expected).Length);
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        await using (var c = await ConnectAsync(s))
        {
            await c.DeliverMessageAsync(m, EnvelopeAddress.Parse("bounce@example.org"), [EnvelopeAddress.Parse("x@example.com")], new MimeDeliveryOptions { RequireTls = true });
            await c.CloseAsync();
        }
        await s.CompletionAsync();
        Assert.Equal(MimeWire.Data(expected), received);
    }

    [Fact]
    public async Task Five_megabyte_message_is_streamed()
    {
        var m = MimeWire.Multipart(5 * 1024 * 1024, seed: 5);
        var expected = MimeWire.Serialise(m, hideBcc: true);
        var wire = MimeWire.Data(expected);
        byte[]? received = null;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, "mx.example", "SIZE 100000000");
            received = await TransactionAsync(ss, $"MAIL FROM:<alice@example.org> SIZE={expected.Length}", ["bob@example.net", "carol@example.net", "dave@example.com"], wire.Length);
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        await using (var c = await ConnectAsync(s))
        {
            await c.DeliverMessageAsync(m);
            await c.CloseAsync();
        }
        await s.CompletionAsync();
        Assert.True(expected.Length > 5 * 1024 * 1024);
        Assert.Equal(wire, received);
    }

    [Theory]
    [InlineData("a much longer subject than before, so the message grew")]
    [InlineData("")]
    public async Task Message_changed_after_measuring_fails_typed_and_the_data_is_never_ended(string subject)
    {
        var m = MimeWire.Multipart(100);
        var source = MimeMessageSource.Prepare(m, envelopeNeedsSmtpUtf8: false, hideBcc: true);
        m.Subject = subject;
        var sawEnd = false;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, "mx.example");
            await ss.ExpectPrefixAsync("MAIL FROM:");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectPrefixAsync("RCPT TO:");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("DATA");
            await ss.WriteLineAsync("354 go");
            try
            {
                string? line;
                while ((line = await ss.ReadLineAsync()) is not null)
                {
                    sawEnd |= line == ".";
                }
            }
            catch (IOException)
            {
                // The client closed in the middle of a line.
            }
        });
        SmtpException e;
        await using (var c = await ConnectAsync(s))
        {
            await using var stream = source.Open();
            e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMultipleAsync(EnvelopeAddress.Parse("alice@example.org"), [EnvelopeAddress.Parse("bob@example.net")], source.Size, stream));
        }
        await s.CompletionAsync();
        var changed = Assert.IsType<MimeMessageChangedException>(e.InnerException);
        Assert.Equal(source.Size, changed.ExpectedSize);
        Assert.NotEqual(source.Size, changed.ActualSize);
        Assert.False(e.MessageDataSent);
        Assert.False(e.DeliveryUncertain);
        Assert.False(sawEnd);
    }
}
