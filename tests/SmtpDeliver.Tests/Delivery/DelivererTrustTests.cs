using System.Net.Sockets;
using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>The deliverer keeps its promises: definite answers stay definite, policies are not weakened, time is bounded.</summary>
public class DelivererTrustTests
{
    private static readonly byte[] Message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();

    private static InMemoryResolver TwoMx(bool authentic = false) => new()
    {
        AllAuthentic = authentic,
        Mx = { ["example.org."] = [new MxRecord("mx1.example.org.", 10), new MxRecord("mx2.example.org.", 20)] },
        A = { ["mx1.example.org."] = ["127.0.0.1"], ["mx2.example.org."] = ["127.0.0.2"] },
    };

    /// <summary>127.0.0.1 goes to the first server, 127.0.0.2 to the second.</summary>
    private static Dialer MappedDialer(ScriptedSmtpServer first, ScriptedSmtpServer? second) => new()
    {
        Connect = (remote, local, ct) => Dialer.ConnectDirectAsync(
            new IPEndPoint(IPAddress.Loopback, remote.Address.Equals(IPAddress.Loopback) ? first.EndPoint.Port : second?.EndPoint.Port ?? 1), local, ct),
    };

    private static Deliverer NewDeliverer(IDnsResolver resolver, Dialer dialer, MtaStsPolicySource? sts = null, TimeSpan? deliveryTimeout = null) => new(new DeliveryOptions
    {
        Resolver = resolver,
        EhloHostname = Domain.Parse("localhost"),
        Dialer = dialer,
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        MtaSts = sts,
        UseMtaSts = sts is not null,
        DeliveryTimeout = deliveryTimeout,
    });

    private static DeliveryRequest Request() => new()
    {
        MailFrom = EnvelopeAddress.Parse("sender@client.example"),
        Recipients = [EnvelopeAddress.Parse("user@example.org")],
        OpenMessage = () => new MemoryStream(Message),
        Size = Message.Length,
    };

    private static Func<ServerSession, Task> AnswerAfterData(string? finalReply) => async ss =>
    {
        await ss.WriteLineAsync("220 mx1.example.org");
        await ss.ExpectAsync("EHLO localhost");
        await ss.WriteLineAsync("250 mx1.example.org");
        await ss.ServeTransactionAsync(finalReply);
        if (finalReply is null)
        {
            return;
        }
        await ss.ExpectAsync("QUIT");
        await ss.WriteLineAsync("221 bye");
    };

    // Issue 11 item 8: failed before the fix. The 554 set MessageDataSent, the deliverer took it for
    // "unknown" and re-sent the message to the second MX, and the recipient came out transient.
    [Fact]
    public async Task Refusal_after_data_is_permanent_and_no_other_host_gets_the_message()
    {
        await using var first = ScriptedSmtpServer.Start(AnswerAfterData("554 5.7.1 rejected as spam"));
        await using var second = ScriptedSmtpServer.Start(AnswerAfterData("250 2.0.0 queued"));
        var o = await NewDeliverer(TwoMx(), MappedDialer(first, second)).DeliverAsync(Request());
        await first.CompletionAsync();
        var r = Assert.Single(o.Recipients);
        Assert.Equal(RecipientStatus.Permanent, r.Status);
        Assert.Equal(554, r.Response!.Code);
        Assert.Contains("rejected as spam", r.Response.Line, StringComparison.Ordinal);
        Assert.Empty(second.Transcript);
        Assert.Single(o.Attempts);
    }

    [Fact]
    public async Task Temporary_refusal_after_data_is_transient_for_this_attempt_and_not_resent_elsewhere()
    {
        await using var first = ScriptedSmtpServer.Start(AnswerAfterData("451 4.3.0 try later"));
        await using var second = ScriptedSmtpServer.Start(AnswerAfterData("250 2.0.0 queued"));
        var o = await NewDeliverer(TwoMx(), MappedDialer(first, second)).DeliverAsync(Request());
        await first.CompletionAsync();
        Assert.Equal((RecipientStatus.Transient, 451), (o.Recipients[0].Status, o.Recipients[0].Response!.Code));
        Assert.Empty(second.Transcript);
    }

    // Issue 11 item 8: "sent, no answer" is uncertain; before the fix it was transient and re-sent to the second MX.
    [Fact]
    public async Task No_reply_after_data_is_uncertain_and_no_other_host_gets_the_message()
    {
        await using var first = ScriptedSmtpServer.Start(AnswerAfterData(null));
        await using var second = ScriptedSmtpServer.Start(AnswerAfterData("250 2.0.0 queued"));
        var o = await NewDeliverer(TwoMx(), MappedDialer(first, second)).DeliverAsync(Request());
        await first.CompletionAsync();
        Assert.Equal(RecipientStatus.Uncertain, o.Recipients[0].Status);
        Assert.Empty(second.Transcript);
    }

    // Issue 11 item 3: failed before the fix. With only unusable TLSA records the host was planned without
    // PKIX enforcement although the domain's MTA-STS policy is enforce: the self-signed certificate of a man
    // in the middle was accepted and the message delivered to it.
    [Fact]
    public async Task Mta_sts_enforce_still_applies_when_the_mx_has_only_unusable_tlsa_records()
    {
        var resolver = new InMemoryResolver
        {
            AllAuthentic = true,
            Mx = { ["example.org."] = [new MxRecord("mx1.example.org.", 10)] },
            A = { ["mx1.example.org."] = ["127.0.0.1"] },
            Tlsa = { ["_25._tcp.mx1.example.org."] = [new TlsaRecord(TlsaUsage.PkixEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32])] },
            Txt = { ["_mta-sts.example.org."] = ["v=STSv1; id=20261201"] },
        };
        var cache = new InMemoryMtaStsCache();
        await cache.StoreAsync(Domain.Parse("example.org"), new CachedMtaStsPolicy("20261201",
            MtaStsPolicy.Parse("version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 86400\n"), DateTimeOffset.UtcNow.AddDays(1)), default);
        var mitm = TestCertificates.SelfSigned("mx1.example.org", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        await using var server = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx1.example.org");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mx1.example.org");
            await ss.WriteLineAsync("250 STARTTLS");
            await ss.ExpectAsync("STARTTLS");
            await ss.OfferRejectedTlsAsync(mitm);
        });
        var o = await NewDeliverer(resolver, MappedDialer(server, null), new MtaStsPolicySource(resolver, cache)).DeliverAsync(Request());
        await server.CompletionAsync();
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.DoesNotContain(server.Transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal));
        Assert.Contains("certificate", o.Attempts[^1].Error, StringComparison.Ordinal);
    }

    // Issue 11 item 6: failed before the fix; without an explicitly built policy source no policy was asked for.
    [Fact]
    public async Task Mta_sts_is_applied_by_default()
    {
        var zone = TwoMx();
        var recording = new RecordingResolver(zone);
        zone.Fail.Add("mx example.org.");
        var deliverer = new Deliverer(new DeliveryOptions { Resolver = recording, EhloHostname = Domain.Parse("localhost") });
        var o = await deliverer.DeliverAsync(Request());
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.Contains("txt _mta-sts.example.org.", recording.Queries);
    }

    // Issue 11 item 9: failed before the fix; only the per-step timeouts (here 10 s) bounded the attempt.
    [Fact]
    public async Task Delivery_timeout_bounds_the_whole_attempt()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var accepted = listener.AcceptSocketAsync();
            var dialer = new Dialer { Connect = (_, local, ct) => Dialer.ConnectDirectAsync((IPEndPoint)listener.LocalEndpoint, local, ct) };
            var resolver = new InMemoryResolver { Mx = { ["example.org."] = [new MxRecord("mx1.example.org.", 10)] }, A = { ["mx1.example.org."] = ["127.0.0.1"] } };
            var deliverer = new Deliverer(new DeliveryOptions
            {
                Resolver = resolver,
                EhloHostname = Domain.Parse("localhost"),
                Dialer = dialer,
                Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
                UseMtaSts = false,
                DeliveryTimeout = TimeSpan.FromSeconds(1),
            });
            // A server that accepts and never greets.
            var o = await deliverer.DeliverAsync(Request()).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
            Assert.Contains("deadline", o.Recipients[0].Error, StringComparison.Ordinal);
            (await accepted).Dispose();
        }
        finally
        {
            listener.Stop();
        }
    }

    // Review of issue 11: the delivery deadline firing while the server judges the message turned "sent,
    // no answer" into transient (and caller cancellation threw away the outcome).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deadline_or_cancellation_after_the_data_is_uncertain_and_the_outcome_is_returned(bool cancelByCaller)
    {
        var release = new TaskCompletionSource();
        await using var stalling = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx1.example.org");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx1.example.org");
            await ss.ExpectPrefixAsync("MAIL FROM:<");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectPrefixAsync("RCPT TO:<");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("DATA");
            await ss.WriteLineAsync("354 go");
            await ss.ReadDataAsync();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
        });
        await using var second = ScriptedSmtpServer.Start(AnswerAfterData("250 2.0.0 queued"));
        using var cts = new CancellationTokenSource();
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = TwoMx(),
            EhloHostname = Domain.Parse("localhost"),
            Dialer = MappedDialer(stalling, second),
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
            UseMtaSts = false,
            DeliveryTimeout = cancelByCaller ? null : TimeSpan.FromSeconds(2),
        });
        if (cancelByCaller)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(2));
        }
        var o = await deliverer.DeliverAsync(Request(), cts.Token).WaitAsync(TimeSpan.FromSeconds(20));
        release.SetResult();
        Assert.Equal(RecipientStatus.Uncertain, o.Recipients[0].Status);
        Assert.Empty(second.Transcript);
    }

    // Review of issue 11: a forged 5xx greeting or EHLO refusal before TLS bounced the mail although TLS was
    // required; and a 5xx greeting is never a reason not to try the next MX (Postfix: smtp_skip_5xx_greeting).
    [Fact]
    public async Task A_5xx_greeting_moves_on_to_the_next_mx()
    {
        await using var first = ScriptedSmtpServer.Play("S: 554 5.3.2 no service here", "C: QUIT", "S: 221 bye");
        await using var second = ScriptedSmtpServer.Start(AnswerAfterData("250 2.0.0 queued"));
        var o = await NewDeliverer(TwoMx(), MappedDialer(first, second)).DeliverAsync(Request());
        Assert.Equal(RecipientStatus.Delivered, o.Recipients[0].Status);
        Assert.Equal(2, o.Attempts.Count);
    }

    [Fact]
    public async Task A_dsn_list_of_the_wrong_length_is_refused_before_any_lookup()
    {
        var recording = new RecordingResolver(TwoMx());
        var deliverer = new Deliverer(new DeliveryOptions { Resolver = recording, EhloHostname = Domain.Parse("localhost") });
        var request = Request() with { Dsn = new DsnRequest { Recipients = [new DsnRecipient(), new DsnRecipient()] } };
        await Assert.ThrowsAsync<ArgumentException>(() => deliverer.DeliverAsync(request));
        Assert.Empty(recording.Queries);
    }

    // Issue 11 item 13: the dialer kept a public dictionary shared by concurrent deliveries, never pruned.
    [Fact]
    public void Dial_history_is_per_message_and_bounded()
    {
        Assert.DoesNotContain(typeof(Dialer).GetProperties(), p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>));
        var history = new DialHistory();
        for (var h = 0; h < DialHistory.MaxHosts + 10; h++)
        {
            for (var a = 0; a < DialHistory.MaxAddressesPerHost + 5; a++)
            {
                history.Record(new IPDomain(Domain.Parse($"h{h}.example")), IPAddress.Parse($"127.0.{h}.{a + 1}"));
            }
        }
        Assert.Equal(DialHistory.MaxHosts, history.Snapshot().Count);
        Assert.Empty(history.For(new IPDomain(Domain.Parse("h0.example"))));
        var last = history.For(new IPDomain(Domain.Parse($"h{DialHistory.MaxHosts + 9}.example")));
        Assert.Equal(DialHistory.MaxAddressesPerHost, last.Count);
        Assert.Equal(IPAddress.Parse($"127.0.{DialHistory.MaxHosts + 9}.{DialHistory.MaxAddressesPerHost + 5}"), last[^1]);
    }

    private sealed class RecordingResolver(IDnsResolver inner) : IDnsResolver
    {
        public List<string> Queries { get; } = [];

        private T Note<T>(string q, T result)
        {
            lock (Queries)
            {
                Queries.Add(q);
            }
            return result;
        }

        public async Task<DnsResult<string>> LookupCnameAsync(string name, CancellationToken cancellationToken) => Note("cname " + name, await inner.LookupCnameAsync(name, cancellationToken));
        public async Task<DnsResult<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken) => Note("mx " + name, await inner.LookupMxAsync(name, cancellationToken));
        public async Task<DnsResult<IPAddress>> LookupIPAsync(AddressFamilyFilter family, string name, CancellationToken cancellationToken) => Note("ip " + name, await inner.LookupIPAsync(family, name, cancellationToken));
        public async Task<DnsResult<TlsaRecord>> LookupTlsaAsync(string name, CancellationToken cancellationToken) => Note("tlsa " + name, await inner.LookupTlsaAsync(name, cancellationToken));
        public async Task<DnsResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken) => Note("txt " + name, await inner.LookupTxtAsync(name, cancellationToken));
    }
}
