using System.Net;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Tests.Review;

/// <summary>Review: a BDAT chunk refused before the chunk with LAST was sent is never "delivered".</summary>
public class BdatChunkRefusedTests
{
    private static byte[] BigMessage()
    {
        // Two chunks: 64 KiB and the rest (BdatWriter.ChunkSize).
        var line = "Subject: x\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('a', 998) + "\r\n", 100));
        return System.Text.Encoding.ASCII.GetBytes(line);
    }

    private static Deliverer NewDeliverer(ScriptedSmtpServer server) => new(new DeliveryOptions
    {
        Resolver = new InMemoryResolver
        {
            Mx = { ["example.org."] = [new MxRecord("mx.example.org.", 10)] },
            A = { ["mx.example.org."] = ["127.0.0.1"] },
        },
        EhloHostname = Domain.Parse("localhost"),
        Dialer = new Dialer { Connect = (remote, local, ct) => Dialer.ConnectDirectAsync(new IPEndPoint(IPAddress.Loopback, server.EndPoint.Port), local, ct) },
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        UseMtaSts = false,
        ConnectionReuse = new ConnectionReuseOptions { Enabled = false },
    });

    // Review: failed before the fix. The RCPT replies (250) carried by the chunk refusal were taken as the
    // recipients' verdicts, so the recipient was reported Delivered though the message was refused with 554
    // after its first chunk and the LAST chunk was never sent.
    [Fact]
    public async Task NonLastChunkRefused_LockStep_IsNotDelivered()
    {
        var message = BigMessage();
        Assert.True(message.Length > BdatWriter.ChunkSize);
        await using var server = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example.org");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mx.example.org");
            await ss.WriteLineAsync("250-CHUNKING");
            await ss.WriteLineAsync("250 BINARYMIME");
            await ss.ExpectPrefixAsync("MAIL FROM:<sender@client.example>");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("RCPT TO:<user@example.org>");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync($"BDAT {BdatWriter.ChunkSize}");
            await ss.ReadExactAsync(BdatWriter.ChunkSize);
            await ss.WriteLineAsync("554 5.6.0 content refused");
            await ss.ReadLineAsync();
        });
        await using var deliverer = NewDeliverer(server);
        var outcome = await deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("sender@client.example"),
            Recipients = [EnvelopeAddress.Parse("user@example.org")],
            OpenMessage = () => new MemoryStream(message),
            Size = message.Length,
            Requirements = DeliveryRequirements.BinaryMime,
        });
        var r = Assert.Single(outcome.Recipients);
        Assert.NotEqual(RecipientStatus.Delivered, r.Status);
        Assert.Equal(RecipientStatus.Permanent, r.Status);
    }
}
