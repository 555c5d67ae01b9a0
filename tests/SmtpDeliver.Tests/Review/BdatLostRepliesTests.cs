using System.Net;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Tests.Review;

/// <summary>
/// Review: pipelined BDAT sends MAIL, RCPT and the whole message in one flight, so a connection lost before
/// any reply was read leaves the server's verdict unknown: the recipients are uncertain, never transient (a
/// queue would send the message again, a duplicate if the server had taken it).
/// </summary>
public class BdatLostRepliesTests
{
    private static readonly byte[] Message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();

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
        ConnectionReuse = ConnectionReuseOptions.Disabled,
    });

    // Review: failed before the fix. The lost MAIL/RCPT replies were filled in with the read error's
    // response (code 0, not a success), so the recipient was recorded as Transient although the whole
    // message had been sent.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Connection_lost_after_the_pipelined_message_before_the_replies_is_uncertain(int repliesBeforeClose)
    {
        await using var server = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example.org");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mx.example.org");
            await ss.WriteLineAsync("250-PIPELINING");
            await ss.WriteLineAsync("250 CHUNKING");
            await ss.ExpectPrefixAsync("MAIL FROM:<sender@client.example>");
            await ss.ExpectAsync("RCPT TO:<user@example.org>");
            await ss.ExpectAsync($"BDAT {Message.Length} LAST");
            await ss.ReadExactAsync(Message.Length);
            if (repliesBeforeClose > 0)
            {
                // The MAIL reply only: the RCPT and BDAT replies are lost with the connection.
                await ss.WriteLineAsync("250 ok");
            }
            ss.Close();
        });
        await using var deliverer = NewDeliverer(server);
        var outcome = await deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("sender@client.example"),
            Recipients = [EnvelopeAddress.Parse("user@example.org")],
            OpenMessage = () => new MemoryStream(Message),
            Size = Message.Length,
        });
        Assert.Equal(RecipientStatus.Uncertain, Assert.Single(outcome.Recipients).Status);
    }
}
