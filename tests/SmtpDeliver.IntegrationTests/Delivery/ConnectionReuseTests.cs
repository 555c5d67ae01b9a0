using System.Net;
using System.Text;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.IntegrationTests.Delivery;

/// <summary>
/// Connection reuse against the real Postfix (docs/connection-reuse.md): several messages through one
/// deliverer arrive, over fewer connections than messages, each counted once in TLSRPT.
/// </summary>
public class ConnectionReuseTests
{
    private int _connections;

    private Dialer CountingDialer() => new()
    {
        Connect = (remote, local, ct) =>
        {
            Interlocked.Increment(ref _connections);
            return Dialer.ConnectDirectAsync(new IPEndPoint(IPAddress.Loopback, IntegrationEnvironment.GetInt("postfix", "SMTP_PORT")), local, ct);
        },
    };

    private Deliverer NewDeliverer(ConnectionReuseOptions reuse) => new(new DeliveryOptions
    {
        Resolver = new InMemoryResolver
        {
            Mx = { ["example.test."] = [new MxRecord("mx.example.test.", 10)] },
            A = { ["mx.example.test."] = ["127.0.0.1"] },
        },
        EhloHostname = Domain.Parse("client.example.test"),
        Dialer = CountingDialer(),
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(15)),
        UseMtaSts = false,
        ConnectionReuse = reuse,
    });

    private static (DeliveryRequest Request, string Marker) Request()
    {
        var marker = $"reuse-{Guid.NewGuid():N}";
        var message = Encoding.ASCII.GetBytes($"From: <sender@client.example.test>\r\nSubject: {marker}\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nhello {marker}\r\n");
        return (new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("sender@client.example.test"),
            Recipients = [EnvelopeAddress.Parse("user@example.test")],
            OpenMessage = () => new MemoryStream(message),
            Size = message.Length,
        }, marker);
    }

    private static async Task AssertArrivedAsync(string marker)
    {
        var dir = Path.Combine(IntegrationEnvironment.Get("postfix", "MAILDIR_ROOT"), "user@example.test", "new");
        var needle = Encoding.ASCII.GetBytes(marker);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(dir))
            {
                foreach (var file in Directory.GetFiles(dir))
                {
                    if ((await File.ReadAllBytesAsync(file)).AsSpan().IndexOf(needle) >= 0)
                    {
                        return;
                    }
                }
            }
            await Task.Delay(100);
        }
        Assert.Fail($"message {marker} did not arrive in {dir}");
    }

    [Fact]
    public async Task A_batch_arrives_over_one_reused_starttls_connection()
    {
        var messages = Enumerable.Range(0, 5).Select(_ => Request()).ToList();
        IReadOnlyList<DeliveryOutcome> outcomes;
        await using (var deliverer = NewDeliverer(ConnectionReuseOptions.Default))
        {
            outcomes = await deliverer.DeliverBatchAsync(messages.Select(m => m.Request).ToList());
        }
        Assert.All(outcomes, o => Assert.Equal(RecipientStatus.Delivered, Assert.Single(o.Recipients).Status));
        Assert.All(outcomes, o => Assert.Equal("untrusted", Assert.Single(o.Attempts).TlsStatus.ToString()));
        Assert.All(outcomes, o => Assert.Equal(1, Assert.Single(o.HostResults).Summary.TotalSuccessfulSessionCount));
        Assert.Equal(1, _connections);
        foreach (var (_, marker) in messages)
        {
            await AssertArrivedAsync(marker);
        }
    }

    [Fact]
    public async Task Serial_single_message_calls_use_fewer_connections_than_messages()
    {
        var messages = Enumerable.Range(0, 4).Select(_ => Request()).ToList();
        await using (var deliverer = NewDeliverer(ConnectionReuseOptions.Default))
        {
            foreach (var (request, _) in messages)
            {
                var outcome = await deliverer.DeliverAsync(request);
                Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
            }
        }
        // On demand: the first message shows no demand yet; the rest share the second connection.
        Assert.Equal(2, _connections);
        foreach (var (_, marker) in messages)
        {
            await AssertArrivedAsync(marker);
        }
    }
}
