using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using SmtpDeliver.Delivery;
using SmtpDeliver.Diagnostics;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>The deliverer's session pool (docs/connection-reuse.md), against scripted servers that count connections.</summary>
public class ConnectionReuseTests
{
    private static readonly byte[] Message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();

    private static readonly ConnectionReuseOptions Always = new() { OnDemand = false };

    /// <summary>Connection n goes to servers[n] (the last one for any further); counts connections.</summary>
    private sealed class CountingDialer(params ScriptedSmtpServer[] servers)
    {
        private int _count;

        public int Connections => Volatile.Read(ref _count);

        public Dialer Dialer => new()
        {
            Connect = (remote, local, ct) =>
            {
                var n = Interlocked.Increment(ref _count);
                var server = servers[Math.Min(n - 1, servers.Length - 1)];
                return Dialer.ConnectDirectAsync(new IPEndPoint(IPAddress.Loopback, server.EndPoint.Port), local, ct);
            },
        };
    }

    private static Deliverer NewDeliverer(CountingDialer dialer, ConnectionReuseOptions? reuse = null, TimeProvider? time = null, TestMeterFactory? meters = null, int concurrency = 20, bool authentic = false) => new(new DeliveryOptions
    {
        Resolver = new InMemoryResolver
        {
            AllAuthentic = authentic,
            Mx = { ["example.org."] = [new MxRecord("mx.example.org.", 10)] },
            A = { ["mx.example.org."] = ["127.0.0.1"] },
        },
        EhloHostname = Domain.Parse("localhost"),
        Dialer = dialer.Dialer,
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        UseMtaSts = false,
        ConnectionReuse = reuse ?? Always,
        TimeProvider = time ?? TimeProvider.System,
        MeterFactory = meters,
        DestinationConcurrencyLimit = concurrency,
    });

    private static DeliveryRequest Request(string rcpt = "user@example.org", DeliveryRequirements requirements = DeliveryRequirements.None) => new()
    {
        MailFrom = EnvelopeAddress.Parse("sender@client.example"),
        Recipients = [EnvelopeAddress.Parse(rcpt)],
        OpenMessage = () => new MemoryStream(Message),
        Size = Message.Length,
        Requirements = requirements,
    };

    private static async Task GreetAsync(ServerSession ss, params string[] extensions)
    {
        await ss.WriteLineAsync("220 mx.example.org");
        await ss.ExpectAsync("EHLO localhost");
        if (extensions.Length == 0)
        {
            await ss.WriteLineAsync("250 mx.example.org");
            return;
        }
        await ss.WriteLineAsync("250-mx.example.org");
        for (var i = 0; i < extensions.Length; i++)
        {
            await ss.WriteLineAsync((i == extensions.Length - 1 ? "250 " : "250-") + extensions[i]);
        }
    }

    private static async Task QuitAsync(ServerSession ss)
    {
        await ss.ExpectAsync("QUIT");
        await ss.WriteLineAsync("221 bye");
    }

    /// <summary>Greeting, then <paramref name="transactions"/> transactions, then QUIT.</summary>
    private static Func<ServerSession, Task> Serve(int transactions, params string[] extensions) => async ss =>
    {
        await GreetAsync(ss, extensions);
        for (var i = 0; i < transactions; i++)
        {
            await ss.ServeTransactionAsync();
        }
        await QuitAsync(ss);
    };

    private static int Count(List<string> transcript, string line) => transcript.Count(l => l == "C: " + line);

    [Fact]
    public async Task Serial_deliveries_share_one_connection_and_the_pool_counts_hits_and_misses()
    {
        using var meters = new TestMeterFactory();
        using var lookups = new MetricCollector<long>(meters, SmtpTelemetry.MeterName, "smtpdeliver.delivery.session_pool");
        await using var server = ScriptedSmtpServer.Start(Serve(3));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer, meters: meters))
        {
            for (var i = 0; i < 3; i++)
            {
                var outcome = await deliverer.DeliverAsync(Request());
                Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
                Assert.Single(outcome.Attempts);
            }
            Assert.Equal(1, deliverer.IdleSessionCount);
        }
        await server.CompletionAsync();
        Assert.Equal(1, dialer.Connections);
        Assert.Equal(1, Count(server.Transcript, "EHLO localhost"));
        // No RSET between successful transactions.
        Assert.Equal(0, Count(server.Transcript, "RSET"));
        var results = lookups.GetMeasurementSnapshot().Select(m => (string?)m.Tags["smtpdeliver.session_pool.result"]).ToList();
        Assert.Equal(["miss", "hit", "hit"], results);
    }

    [Fact]
    public async Task On_demand_a_lone_message_quits_at_once_and_a_stream_of_messages_shares_a_connection()
    {
        // The first message shows no demand yet: QUIT right after it. The second comes within the idle time:
        // its session is kept, and the third and fourth reuse it.
        await using var server = ScriptedSmtpServer.StartSequence(Serve(1), Serve(3));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer, ConnectionReuseOptions.Default))
        {
            var first = await deliverer.DeliverAsync(Request());
            Assert.Equal(0, deliverer.IdleSessionCount);
            for (var i = 0; i < 3; i++)
            {
                var outcome = await deliverer.DeliverAsync(Request());
                Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
            }
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(first.Recipients).Status);
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    [Fact]
    public async Task A_batch_shares_sessions_and_returns_one_outcome_per_request()
    {
        await using var server = ScriptedSmtpServer.Start(Serve(3));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer, ConnectionReuseOptions.Default))
        {
            var outcomes = await deliverer.DeliverBatchAsync([Request("a@example.org"), Request("b@example.org"), Request("c@example.org")]);
            Assert.Equal(3, outcomes.Count);
            Assert.All(outcomes, o => Assert.Equal(RecipientStatus.Delivered, Assert.Single(o.Recipients).Status));
            Assert.Equal(["a@example.org", "b@example.org", "c@example.org"], outcomes.Select(o => o.Recipients[0].Address.ToString()));
            // The messages before it showed demand for the destination: the session stays for the idle time.
            Assert.Equal(1, deliverer.IdleSessionCount);
        }
        await server.CompletionAsync();
        Assert.Equal(1, dialer.Connections);
    }

    [Fact]
    public async Task A_batch_with_an_invalid_request_is_refused_before_any_connection()
    {
        await using var server = ScriptedSmtpServer.Start(Serve(0));
        var dialer = new CountingDialer(server);
        await using var deliverer = NewDeliverer(dialer);
        var bad = Request() with { Recipients = [] };
        await Assert.ThrowsAsync<ArgumentException>(() => deliverer.DeliverBatchAsync([Request(), bad]));
        Assert.Equal(0, dialer.Connections);
    }

    [Fact]
    public async Task A_requiretls_message_never_reuses_a_session_opened_for_an_opportunistic_one()
    {
        // The opportunistic message goes in plaintext (no STARTTLS offered); its idle session must not carry
        // the REQUIRETLS message, which needs a new connection and then fails there for want of STARTTLS.
        await using var plain = ScriptedSmtpServer.Start(Serve(1));
        await using var second = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss);
            // Required STARTTLS is tried even when not announced.
            await ss.ExpectAsync("STARTTLS");
            await ss.WriteLineAsync("454 4.7.0 tls not available");
            await QuitAsync(ss);
        });
        var dialer = new CountingDialer(plain, second);
        await using (var deliverer = NewDeliverer(dialer))
        {
            var opportunistic = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(opportunistic.Recipients).Status);
            Assert.Equal(TlsStatus.None, Assert.Single(opportunistic.Attempts).TlsStatus);

            var strict = await deliverer.DeliverAsync(Request(requirements: DeliveryRequirements.RequireTls));
            Assert.Equal(RecipientStatus.Transient, Assert.Single(strict.Recipients).Status);
            Assert.NotEqual(string.Empty, Assert.Single(strict.Attempts).Error);
            Assert.Equal(2, dialer.Connections);
            // The plaintext session is still idle for opportunistic messages.
            Assert.Equal(1, deliverer.IdleSessionCount);
        }
        await plain.CompletionAsync();
        await second.CompletionAsync();
        Assert.Equal(0, Count(plain.Transcript, "MAIL FROM:<sender@client.example> REQUIRETLS"));
    }

    [Fact]
    public async Task Mailmax_closes_the_session_with_quit_after_its_transactions_and_the_next_message_opens_another()
    {
        await using var server = ScriptedSmtpServer.StartSequence(Serve(2, "LIMITS MAILMAX=2"), Serve(1, "LIMITS MAILMAX=2"));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer))
        {
            for (var i = 0; i < 3; i++)
            {
                var outcome = await deliverer.DeliverAsync(Request());
                Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
                Assert.Single(outcome.Attempts);
            }
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
        Assert.Equal(2, Count(server.Transcript, "QUIT"));
    }

    [Fact]
    public async Task An_idle_session_is_closed_with_quit_after_the_idle_time_on_the_fake_clock()
    {
        var clock = new FakeTimeProvider();
        var quitSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedSmtpServer.StartSequence(
            async ss =>
            {
                await GreetAsync(ss);
                await ss.ServeTransactionAsync();
                await QuitAsync(ss);
                quitSeen.SetResult();
            },
            Serve(1));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer, Always with { IdleTimeout = TimeSpan.FromSeconds(2) }, clock))
        {
            await deliverer.DeliverAsync(Request());
            Assert.Equal(1, deliverer.IdleSessionCount);
            clock.Advance(TimeSpan.FromSeconds(1.9));
            Assert.Equal(1, deliverer.IdleSessionCount);
            clock.Advance(TimeSpan.FromSeconds(0.2));
            await quitSeen.Task.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, deliverer.IdleSessionCount);

            var outcome = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    [Fact]
    public async Task A_session_past_its_reuse_time_is_not_reused()
    {
        var clock = new FakeTimeProvider();
        await using var server = ScriptedSmtpServer.StartSequence(Serve(1), Serve(1));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer, Always with { IdleTimeout = TimeSpan.FromMinutes(10), MaxAge = TimeSpan.FromSeconds(30) }, clock))
        {
            await deliverer.DeliverAsync(Request());
            clock.Advance(TimeSpan.FromSeconds(31));
            var outcome = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_session_the_server_closed_while_idle_is_retried_on_a_new_connection_and_not_counted(bool with421)
    {
        await using var server = ScriptedSmtpServer.StartSequence(
            async ss =>
            {
                await GreetAsync(ss);
                await ss.ServeTransactionAsync();
                if (with421)
                {
                    await ss.ExpectPrefixAsync("MAIL FROM:<");
                    await ss.WriteLineAsync("421 4.4.2 mx.example.org idle too long, closing");
                }
                ss.Close();
            },
            Serve(1));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer))
        {
            await deliverer.DeliverAsync(Request());
            var outcome = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
            var attempt = Assert.Single(outcome.Attempts);
            Assert.Equal(string.Empty, attempt.Error);
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    [Fact]
    public async Task A_session_the_server_closed_while_idle_is_not_reused_for_pipelined_bdat()
    {
        // With PIPELINING and CHUNKING the envelope and the message go in one write, which a connection the
        // server already closed still accepts; the lost replies then made the delivery uncertain (the
        // message held, never retried). The pool now checks an idle session before handing it out.
        // Review: failed before the fix (the second delivery was Uncertain over the dead connection).
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        static async Task ServeBdatAsync(ServerSession ss)
        {
            await ss.ExpectPrefixAsync("MAIL FROM:<");
            await ss.ExpectPrefixAsync("RCPT TO:<");
            var bdat = await ss.ExpectPrefixAsync("BDAT ");
            await ss.ReadExactAsync(int.Parse(bdat.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
            await ss.WriteLineAsync("250 sender ok");
            await ss.WriteLineAsync("250 recipient ok");
            await ss.WriteLineAsync("250 queued");
        }
        await using var server = ScriptedSmtpServer.StartSequence(
            async ss =>
            {
                await GreetAsync(ss, "PIPELINING", "CHUNKING");
                await ServeBdatAsync(ss);
                ss.Close();
                closed.SetResult();
            },
            async ss =>
            {
                await GreetAsync(ss, "PIPELINING", "CHUNKING");
                await ServeBdatAsync(ss);
                await QuitAsync(ss);
            });
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer))
        {
            await deliverer.DeliverAsync(Request());
            await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            var outcome = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
            Assert.Equal(string.Empty, Assert.Single(outcome.Attempts).Error);
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    [Fact]
    public async Task After_the_data_was_sent_a_lost_reused_session_is_uncertain_and_never_resent()
    {
        // The reused session takes the message and closes without a verdict: uncertain, no retry.
        await using var server = ScriptedSmtpServer.StartSequence(
            async ss =>
            {
                await GreetAsync(ss);
                await ss.ServeTransactionAsync();
                await ss.ServeTransactionAsync(finalReply: null);
            },
            Serve(1));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer))
        {
            await deliverer.DeliverAsync(Request());
            var lost = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Uncertain, Assert.Single(lost.Recipients).Status);
            Assert.Equal(1, dialer.Connections);
            // The broken session was dropped, not pooled: the next message opens a new connection.
            Assert.Equal(0, deliverer.IdleSessionCount);
            var next = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(next.Recipients).Status);
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    [Fact]
    public async Task A_cancelled_delivery_drops_its_session()
    {
        using var cts = new CancellationTokenSource();
        await using var server = ScriptedSmtpServer.StartSequence(
            async ss =>
            {
                await GreetAsync(ss);
                await ss.ServeTransactionAsync();
                // The second MAIL is never answered: the caller cancels mid-operation.
                await ss.ExpectPrefixAsync("MAIL FROM:<");
                await cts.CancelAsync();
                await ss.ReadLineAsync();
            },
            Serve(1));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer))
        {
            await deliverer.DeliverAsync(Request());
            var cancelled = await deliverer.DeliverAsync(Request(), cts.Token);
            Assert.Equal(RecipientStatus.Transient, Assert.Single(cancelled.Recipients).Status);
            Assert.Equal(0, deliverer.IdleSessionCount);
            var next = await deliverer.DeliverAsync(Request());
            Assert.Equal(RecipientStatus.Delivered, Assert.Single(next.Recipients).Status);
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    [Fact]
    public async Task With_a_concurrency_limit_of_one_concurrent_deliveries_wait_and_share_one_connection()
    {
        await using var server = ScriptedSmtpServer.Start(Serve(4));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer, concurrency: 1))
        {
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => deliverer.DeliverAsync(Request())));
            Assert.All(outcomes, o => Assert.Equal(RecipientStatus.Delivered, Assert.Single(o.Recipients).Status));
        }
        await server.CompletionAsync();
        Assert.Equal(1, dialer.Connections);
    }

    [Fact]
    public async Task Disposal_closes_idle_sessions_with_quit_and_refuses_further_deliveries()
    {
        await using var server = ScriptedSmtpServer.Start(Serve(1));
        var dialer = new CountingDialer(server);
        var deliverer = NewDeliverer(dialer);
        await deliverer.DeliverAsync(Request());
        Assert.Equal(1, deliverer.IdleSessionCount);
        await deliverer.DisposeAsync();
        await server.CompletionAsync();
        Assert.Equal("C: QUIT", server.Transcript[^2]);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => deliverer.DeliverAsync(Request()));
    }

    [Fact]
    public async Task With_reuse_disabled_every_delivery_opens_and_quits_its_own_connection()
    {
        await using var server = ScriptedSmtpServer.StartSequence(Serve(1), Serve(1));
        var dialer = new CountingDialer(server);
        await using (var deliverer = NewDeliverer(dialer, ConnectionReuseOptions.Disabled))
        {
            await deliverer.DeliverAsync(Request());
            Assert.Equal(0, deliverer.IdleSessionCount);
            await deliverer.DeliverAsync(Request());
        }
        await server.CompletionAsync();
        Assert.Equal(2, dialer.Connections);
    }

    private static Func<ServerSession, Task> ServeTls(int transactions) => async ss =>
    {
        await ss.WriteLineAsync("220 mx.example.org");
        await ss.ExpectAsync("EHLO localhost");
        await ss.WriteLineAsync("250-mx.example.org");
        await ss.WriteLineAsync("250 STARTTLS");
        await ss.ExpectAsync("STARTTLS");
        await ss.WriteLineAsync("220 go");
        await ss.StartTlsAsync(TestCertificates.Server);
        await ss.ExpectAsync("EHLO localhost");
        await ss.WriteLineAsync("250 mx.example.org");
        for (var i = 0; i < transactions; i++)
        {
            await ss.ServeTransactionAsync();
        }
        await QuitAsync(ss);
    };

    [Fact]
    public async Task Tlsrpt_results_are_per_attempt_over_a_reused_session_as_over_new_connections()
    {
        const int N = 3;
        await using var reusedServer = ScriptedSmtpServer.Start(ServeTls(N));
        var reusedDialer = new CountingDialer(reusedServer);
        var reused = new List<DeliveryOutcome>();
        await using (var deliverer = NewDeliverer(reusedDialer))
        {
            for (var i = 0; i < N; i++)
            {
                reused.Add(await deliverer.DeliverAsync(Request()));
            }
        }
        await reusedServer.CompletionAsync();
        Assert.Equal(1, reusedDialer.Connections);

        await using var freshServer = ScriptedSmtpServer.StartSequence(Enumerable.Range(0, N).Select(_ => ServeTls(1)).ToArray());
        var freshDialer = new CountingDialer(freshServer);
        var fresh = new List<DeliveryOutcome>();
        await using (var deliverer = NewDeliverer(freshDialer, ConnectionReuseOptions.Disabled))
        {
            for (var i = 0; i < N; i++)
            {
                fresh.Add(await deliverer.DeliverAsync(Request()));
            }
        }
        await freshServer.CompletionAsync();
        Assert.Equal(N, freshDialer.Connections);

        // Each attempt counts the session once, with the same failure details (the self-signed certificate
        // is recorded as a PKIX failure of an unenforced policy), reused or not.
        Assert.Equal(N, reused.Sum(o => o.RecipientDomainResult.Summary.TotalSuccessfulSessionCount));
        Assert.Equal(N, reused.Sum(o => Assert.Single(o.HostResults).Summary.TotalSuccessfulSessionCount));
        for (var i = 0; i < N; i++)
        {
            Assert.Equal(TlsStatus.Untrusted, Assert.Single(reused[i].Attempts).TlsStatus);
            Assert.Equal(fresh[i].RecipientDomainResult.Summary, reused[i].RecipientDomainResult.Summary);
            Assert.Equal(fresh[i].HostResults[0].Summary, reused[i].HostResults[0].Summary);
            Assert.Equal(fresh[i].RecipientDomainResult.FailureDetails.Select(d => (d.ResultType, d.FailureReasonCode, d.FailedSessionCount)),
                reused[i].RecipientDomainResult.FailureDetails.Select(d => (d.ResultType, d.FailureReasonCode, d.FailedSessionCount)));
        }
    }
}
