using SmtpDeliver.Bounces;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>Each recipient's outcome names the MX host whose reply decided it (a bounce's Remote-MTA).</summary>
public class RecipientRemoteHostTests
{
    /// <summary>Answers every command; RCPT replies come from <paramref name="rcptReplies"/> by recipient.</summary>
    private static Func<ServerSession, Task> Mx(string name, Dictionary<string, string> rcptReplies) => async ss =>
    {
        await ss.WriteLineAsync("220 " + name);
        while (await ss.ReadLineAsync() is { } line)
        {
            var verb = line.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await ss.WriteLineAsync("250 " + name);
                    break;
                case "RCPT":
                    var rcpt = line[(line.IndexOf('<', StringComparison.Ordinal) + 1)..line.IndexOf('>', StringComparison.Ordinal)];
                    await ss.WriteLineAsync(rcptReplies[rcpt]);
                    break;
                case "DATA":
                    await ss.WriteLineAsync("354 go");
                    await ss.ReadDataAsync();
                    await ss.WriteLineAsync("250 queued");
                    break;
                case "QUIT":
                    await ss.WriteLineAsync("221 bye");
                    return;
                default:
                    await ss.WriteLineAsync("250 ok");
                    break;
            }
        }
    };

    [Fact]
    public async Task Outcomes_name_the_mx_that_replied_not_the_one_that_refused_the_session()
    {
        // mx1 turns the session away (421 greeting: transient, the next MX is tried); mx2 decides both
        // recipients. The outcome carries the host, so a queue that merges outcomes of several runs
        // still knows each recipient's Remote-MTA (RFC 3464 2.3.5).
        await using var server = ScriptedSmtpServer.StartSequence(
            async ss =>
            {
                await ss.WriteLineAsync("421 4.3.2 mx1.example.org busy");
                await ss.ReadLineAsync();
            },
            Mx("mx2.example.org", new() { ["r1@example.org"] = "550 5.1.1 no such user", ["r2@example.org"] = "250 ok" }));
        var resolver = new InMemoryResolver
        {
            Mx = { ["example.org."] = [new MxRecord("mx1.example.org.", 10), new MxRecord("mx2.example.org.", 20)] },
            A = { ["mx1.example.org."] = ["127.0.0.1"], ["mx2.example.org."] = ["127.0.0.1"] },
        };
        await using var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.example"),
            Port = server.EndPoint.Port,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
            ConnectionReuse = ConnectionReuseOptions.Disabled,
        });
        var message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();
        var outcome = await deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("a@client.example"),
            Recipients = [EnvelopeAddress.Parse("r1@example.org"), EnvelopeAddress.Parse("r2@example.org")],
            OpenMessage = () => new MemoryStream(message),
            Size = message.Length,
        });
        await server.CompletionAsync();

        Assert.Equal(RecipientStatus.Permanent, outcome.Recipients[0].Status);
        Assert.Equal("mx2.example.org", outcome.Recipients[0].RemoteHost.Ascii);
        Assert.Equal(RecipientStatus.Delivered, outcome.Recipients[1].Status);
        Assert.Equal("mx2.example.org", outcome.Recipients[1].RemoteHost.Ascii);

        var bounce = BounceRecipient.FromDeliveryOutcome(outcome, null, finalAttempt: true, DateTimeOffset.UnixEpoch);
        Assert.Equal("mx2.example.org", bounce[0].RemoteMta.Ascii);
        // An outcome taken on its own (e.g. stored by a queue between runs) keeps its host.
        Assert.Equal("mx2.example.org", BounceRecipient.FromOutcome(outcome.Recipients[0], finalAttempt: true).RemoteMta.Ascii);
    }

    [Fact]
    public async Task No_remote_host_when_no_server_replied()
    {
        var resolver = new InMemoryResolver
        {
            Mx = { ["example.org."] = [new MxRecord("mx1.example.org.", 10)] },
            A = { ["mx1.example.org."] = ["127.0.0.1"] },
        };
        // A port nothing listens on: take one from a listener and close it.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.example"),
            Port = port,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        });
        var outcome = await deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("a@client.example"),
            Recipients = [EnvelopeAddress.Parse("r1@example.org")],
            OpenMessage = () => new MemoryStream([]),
            Size = 0,
        });
        Assert.Equal(RecipientStatus.Transient, outcome.Recipients[0].Status);
        Assert.True(outcome.Recipients[0].RemoteHost.IsEmpty);
    }
}
