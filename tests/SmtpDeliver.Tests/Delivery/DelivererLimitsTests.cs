using System.Net;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>LIMITS (RFC 9422) in the deliverer: RCPTMAX splits transactions, MAILMAX opens a new connection.</summary>
public class DelivererLimitsTests
{
    private static Func<ServerSession, Task> Session(string limits, params string[][] transactions) => async ss =>
    {
        await ss.WriteLineAsync("220 mx.example");
        await ss.ExpectAsync("EHLO client.example");
        await ss.WriteLineAsync("250-mx.example");
        await ss.WriteLineAsync("250 " + limits);
        foreach (var rcpts in transactions)
        {
            await ss.ExpectPrefixAsync("MAIL FROM:<a@client.example>");
            await ss.WriteLineAsync("250 ok");
            foreach (var r in rcpts)
            {
                await ss.ExpectAsync($"RCPT TO:<{r}>");
                await ss.WriteLineAsync("250 ok");
            }
            await ss.ExpectAsync("DATA");
            await ss.WriteLineAsync("354 go");
            await ss.ReadDataAsync();
            await ss.WriteLineAsync("250 queued");
        }
        await ss.ExpectAsync("QUIT");
        await ss.WriteLineAsync("221 bye");
    };

    [Fact]
    public async Task Rcptmax_splits_transactions_and_mailmax_reconnects()
    {
        await using var server = ScriptedSmtpServer.StartSequence(
            Session("LIMITS MAILMAX=1 RCPTMAX=2", ["r1@example.org", "r2@example.org"]),
            Session("LIMITS MAILMAX=1 RCPTMAX=2", ["r3@example.org"]));
        var resolver = new InMemoryResolver { Mx = { ["example.org."] = [new MxRecord("mx.example.org.", 10)] }, A = { ["mx.example.org."] = ["127.0.0.1"] } };
        var port = server.EndPoint.Port;
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.example"),
            Port = port,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        });
        var message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();
        var outcome = await deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("a@client.example"),
            Recipients = [EnvelopeAddress.Parse("r1@example.org"), EnvelopeAddress.Parse("r2@example.org"), EnvelopeAddress.Parse("r3@example.org")],
            OpenMessage = () => new MemoryStream(message),
            Size = message.Length,
        });
        await server.CompletionAsync();
        Assert.All(outcome.Recipients, r => Assert.Equal(RecipientStatus.Delivered, r.Status));
        Assert.Equal(2, outcome.Attempts.Count);
        Assert.All(outcome.Attempts, a => Assert.Equal(IPAddress.Loopback, a.Address));
    }
}
