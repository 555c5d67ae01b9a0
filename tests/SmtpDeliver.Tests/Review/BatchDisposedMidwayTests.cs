using System.Net;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Tests.Review;

/// <summary>
/// Review: a deliverer disposed while a batch is under way (a queue shutting down) must not turn the batch into
/// an exception: the messages already delivered would look undelivered and be sent again.
/// </summary>
public class BatchDisposedMidwayTests
{
    private static readonly byte[] Message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();

    private static DeliveryRequest Request() => new()
    {
        MailFrom = EnvelopeAddress.Parse("sender@client.example"),
        Recipients = [EnvelopeAddress.Parse("user@example.org")],
        OpenMessage = () => new MemoryStream(Message),
        Size = Message.Length,
    };

    // Review: failed before the fix. The second message's DeliverOneAsync threw ObjectDisposedException, so
    // DeliverBatchAsync threw and the first message's Delivered outcome was lost.
    [Fact]
    public async Task Dispose_during_a_batch_keeps_the_outcomes_of_what_was_delivered()
    {
        Deliverer? deliverer = null;
        await using var server = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example.org");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx.example.org");
            // Disposed while the first message is being delivered: its session is in use, not idle.
            await ss.ServeTransactionAsync(beforeMailReply: async () => await deliverer!.DisposeAsync());
            // The session is closed when its attempt ends.
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        deliverer = new Deliverer(new DeliveryOptions
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
            ConnectionReuse = new ConnectionReuseOptions { OnDemand = false },
        });
        await using (deliverer)
        {
            var outcomes = await deliverer.DeliverBatchAsync([Request(), Request()]);
            Assert.Equal(2, outcomes.Count);
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcomes[0].Recipients).Status);
            Assert.Equal(RecipientStatus.Transient, Assert.Single(outcomes[1].Recipients).Status);
        }
        await server.CompletionAsync();
        // Nothing was delivered twice, and nothing after the disposal.
        Assert.Equal(1, server.Transcript.Count(l => l.StartsWith("C: MAIL FROM", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_batch_on_a_disposed_deliverer_throws()
    {
        var deliverer = new Deliverer(new DeliveryOptions { Resolver = new InMemoryResolver(), EhloHostname = Domain.Parse("localhost"), UseMtaSts = false });
        await deliverer.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => deliverer.DeliverBatchAsync([Request()]));
    }
}
