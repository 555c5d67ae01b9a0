using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Delivery;
using SmtpDeliver.Diagnostics;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Sasl;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Diagnostics;

/// <summary>
/// Metrics (MetricCollector on a per-test IMeterFactory), activities (an ActivityListener filtered to the
/// test's trace), the protocol log's redaction and the log event ids (docs/telemetry.md).
/// </summary>
public class TelemetryTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes("Subject: x\r\n\r\ntop secret body line\r\n");

    private static readonly string[] Transaction =
    [
        "C: *", "S: 250 ok", "C: *", "S: 250 ok", "C: DATA", "S: 354 go",
        "C: *", "C: *", "C: *", "C: .", "S: 250 queued", "C: QUIT", "S: 221 bye",
    ];

    private static SmtpSessionOptions Options(TestMeterFactory? meters = null, ILogger? logger = null) => new()
    {
        EhloHostname = Domain.Parse("localhost"),
        TlsMode = TlsMode.None,
        MeterFactory = meters,
        Logger = logger,
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
    };

    private static async Task DeliverOnceAsync(SmtpClientSession c)
    {
        await c.DeliverAsync("a@localhost", "b@localhost", Message.Length, new MemoryStream(Message));
        await c.CloseAsync();
    }

    [Fact]
    public async Task Command_durations_are_recorded_per_command_and_reply_class()
    {
        using var meters = new TestMeterFactory();
        using var durations = new MetricCollector<double>(meters, SmtpTelemetry.MeterName, "smtpdeliver.client.command.duration");
        await using var s = ScriptedSmtpServer.Play(["S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example", .. Transaction]);
        var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Options(meters));
        await DeliverOnceAsync(c);
        await s.CompletionAsync();

        var got = durations.GetMeasurementSnapshot()
            .Select(m => ((string?)m.Tags["smtpdeliver.command"], (string?)m.Tags["smtpdeliver.reply.class"]))
            .ToList();
        Assert.Equal([("greeting", "2xx"), ("ehlo", "2xx"), ("mailfrom", "2xx"), ("rcptto", "2xx"), ("data", "3xx"), ("data", "2xx")], got);
        Assert.All(durations.GetMeasurementSnapshot(), m => Assert.InRange(m.Value, 0, 60));
    }

    [Fact]
    public async Task A_reply_that_never_comes_is_recorded_with_its_error_type()
    {
        using var meters = new TestMeterFactory();
        using var durations = new MetricCollector<double>(meters, SmtpTelemetry.MeterName, "smtpdeliver.client.command.duration");
        await using var s = ScriptedSmtpServer.Play("S: 220 mox.example", "C: EHLO localhost", "close");
        await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Options(meters)));
        var ehlo = Assert.Single(durations.GetMeasurementSnapshot(), m => (string?)m.Tags["smtpdeliver.command"] == "ehlo");
        Assert.Equal("connection", ehlo.Tags["error.type"]);
        Assert.False(ehlo.Tags.ContainsKey("smtpdeliver.reply.class"));
    }

    private static ScriptedSmtpServer TlsServer(X509Certificate2 certificate) => ScriptedSmtpServer.Start(async s =>
    {
        await s.GreetUntilStartTlsAsync();
        await s.WriteLineAsync("220 go");
        await s.StartTlsAsync(certificate);
        await s.ExpectAsync("EHLO localhost");
        await s.WriteLineAsync("250 mox.example");
        if (await s.ReadLineAsync() == "QUIT")
        {
            await s.WriteLineAsync("221 ok");
        }
    });

    private static SmtpSessionOptions TlsOptions(TestMeterFactory meters, bool enforcePkix, X509Certificate2Collection? roots) => Options(meters) with
    {
        TlsMode = TlsMode.Opportunistic,
        RemoteHostname = Domain.Parse("mox.example"),
        EnforcePkix = enforcePkix,
        RootCertificates = roots,
    };

    [Fact]
    public async Task A_handshake_verified_by_pkix_is_counted_as_pkix_and_tags_the_session_with_the_tls_version()
    {
        using var meters = new TestMeterFactory();
        using var handshakes = new MetricCollector<long>(meters, SmtpTelemetry.MeterName, "smtpdeliver.client.tls.handshakes");
        using var activities = new ActivityCollector();
        await using var s = TlsServer(TestCertificates.Server);
        var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), TlsOptions(meters, true, TestCertificates.Roots(TestCertificates.Server)));
        await c.CloseAsync();
        await s.CompletionAsync();

        var h = Assert.Single(handshakes.GetMeasurementSnapshot());
        Assert.Equal((1L, "pkix"), (h.Value, h.Tags["smtpdeliver.tls.outcome"]));
        Assert.False(h.Tags.ContainsKey("smtpdeliver.tlsrpt.result_type"));

        var session = Assert.Single(activities.Stopped, a => a.OperationName == "smtp session");
        Assert.Equal(ActivityKind.Client, session.Kind);
        Assert.Same(activities.Root, session.Parent);
        Assert.Equal("mox.example", session.GetTagItem("server.address"));
        Assert.Equal(s.EndPoint.Port, session.GetTagItem("server.port"));
        Assert.Equal("127.0.0.1", session.GetTagItem("network.peer.address"));
        Assert.Contains(session.GetTagItem("tls.protocol.version") as string, new[] { "1.2", "1.3" });
        Assert.Equal(ActivityStatusCode.Unset, session.Status);
        Assert.Null(session.GetTagItem("error.type"));
    }

    [Fact]
    public async Task An_unverified_handshake_that_is_not_enforced_is_counted_as_unverified_with_its_tlsrpt_result_type()
    {
        using var meters = new TestMeterFactory();
        using var handshakes = new MetricCollector<long>(meters, SmtpTelemetry.MeterName, "smtpdeliver.client.tls.handshakes");
        await using var s = TlsServer(TestCertificates.Server);
        var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), TlsOptions(meters, false, TestCertificates.Roots()));
        await c.CloseAsync();
        await s.CompletionAsync();

        var h = Assert.Single(handshakes.GetMeasurementSnapshot());
        Assert.Equal(("unverified", "certificate-not-trusted"), (h.Tags["smtpdeliver.tls.outcome"], h.Tags["smtpdeliver.tlsrpt.result_type"]));
    }

    [Fact]
    public async Task A_rejected_certificate_is_counted_as_failed_and_fails_the_session_activity()
    {
        using var meters = new TestMeterFactory();
        using var handshakes = new MetricCollector<long>(meters, SmtpTelemetry.MeterName, "smtpdeliver.client.tls.handshakes");
        using var activities = new ActivityCollector();
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.OfferRejectedTlsAsync(TestCertificates.Server);
        });
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), TlsOptions(meters, true, TestCertificates.Roots())));
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);

        var h = Assert.Single(handshakes.GetMeasurementSnapshot());
        Assert.Equal(("failed", "certificate-not-trusted"), (h.Tags["smtpdeliver.tls.outcome"], h.Tags["smtpdeliver.tlsrpt.result_type"]));
        var session = Assert.Single(activities.Stopped, a => a.OperationName == "smtp session");
        Assert.Equal(ActivityStatusCode.Error, session.Status);
        Assert.Equal("tls", session.GetTagItem("error.type"));
        Assert.Contains(session.Events, ev => ev.Name == "exception");
    }

    [Fact]
    public async Task A_refused_greeting_fails_the_session_activity_with_error_type_status()
    {
        using var activities = new ActivityCollector();
        await using var s = ScriptedSmtpServer.Play("S: 554 go away", "C: QUIT", "S: 221 bye");
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Options()));
        Assert.Equal(SmtpErrorReason.Status, e.Reason);
        var session = Assert.Single(activities.Stopped, a => a.OperationName == "smtp session");
        Assert.Equal(ActivityStatusCode.Error, session.Status);
        Assert.Equal("status", session.GetTagItem("error.type"));
        var exception = Assert.Single(session.Events, ev => ev.Name == "exception");
        Assert.Contains(exception.Tags, t => t.Key == "exception.type" && (string?)t.Value == typeof(SmtpException).FullName);
        Assert.Equal(s.EndPoint.Port, session.GetTagItem("server.port"));
        Assert.Equal("127.0.0.1", session.GetTagItem("server.address"));
    }

    // ---- the deliverer ----

    private static ScriptedSmtpServer MxServer() => ScriptedSmtpServer.Start(async ss =>
    {
        await ss.WriteLineAsync("220 mx.example.org");
        await ss.ExpectAsync("EHLO client.example");
        await ss.WriteLineAsync("250 mx.example.org");
        await ss.ExpectAsync("MAIL FROM:<a@client.example>");
        await ss.WriteLineAsync("250 ok");
        await ss.ExpectAsync("RCPT TO:<r1@example.org>");
        await ss.WriteLineAsync("250 ok");
        await ss.ExpectAsync("RCPT TO:<r2@example.org>");
        await ss.WriteLineAsync("550 5.1.1 no such user");
        await ss.ExpectAsync("DATA");
        await ss.WriteLineAsync("354 go");
        await ss.ReadDataAsync();
        await ss.WriteLineAsync("250 queued");
        await ss.ExpectAsync("QUIT");
        await ss.WriteLineAsync("221 bye");
    });

    private static Task<DeliveryOutcome> DeliverAsync(ScriptedSmtpServer server, TestMeterFactory? meters)
    {
        var resolver = new InMemoryResolver { Mx = { ["example.org."] = [new MxRecord("mx.example.org.", 10)] }, A = { ["mx.example.org."] = ["127.0.0.1"] } };
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.example"),
            Port = server.EndPoint.Port,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
            MeterFactory = meters,
        });
        return deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("a@client.example"),
            Recipients = [EnvelopeAddress.Parse("r1@example.org"), EnvelopeAddress.Parse("r2@example.org")],
            OpenMessage = () => new MemoryStream(Message),
            Size = Message.Length,
        });
    }

    [Fact]
    public async Task A_delivery_is_counted_per_recipient_outcome_and_its_sessions_use_the_same_meter_factory()
    {
        using var meters = new TestMeterFactory();
        using var recipients = new MetricCollector<long>(meters, SmtpTelemetry.MeterName, "smtpdeliver.delivery.recipients");
        using var durations = new MetricCollector<double>(meters, SmtpTelemetry.MeterName, "smtpdeliver.client.command.duration");
        await using var server = MxServer();
        var outcome = await DeliverAsync(server, meters);
        await server.CompletionAsync();
        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Permanent], outcome.Recipients.Select(r => r.Status));

        var counted = recipients.GetMeasurementSnapshot().Select(m => ((string?)m.Tags["smtpdeliver.delivery.outcome"], m.Value)).Order().ToList();
        Assert.Equal([("delivered", 1L), ("permanent", 1L)], counted);
        Assert.Contains(durations.GetMeasurementSnapshot(), m => (string?)m.Tags["smtpdeliver.command"] == "rcptto" && (string?)m.Tags["smtpdeliver.reply.class"] == "5xx");
    }

    [Fact]
    public async Task The_delivery_attempt_activity_parents_the_session_and_carries_error_type_when_a_recipient_failed()
    {
        using var activities = new ActivityCollector();
        await using var server = MxServer();
        await DeliverAsync(server, null);
        await server.CompletionAsync();

        var attempt = Assert.Single(activities.Stopped, a => a.OperationName == "smtp delivery attempt");
        var session = Assert.Single(activities.Stopped, a => a.OperationName == "smtp session");
        Assert.Same(activities.Root, attempt.Parent);
        Assert.Same(attempt, session.Parent);
        Assert.Equal("mx.example.org", attempt.GetTagItem("server.address"));
        Assert.Equal(server.EndPoint.Port, attempt.GetTagItem("server.port"));
        Assert.Equal("127.0.0.1", attempt.GetTagItem("network.peer.address"));
        Assert.Equal("none", attempt.GetTagItem("smtpdeliver.tls.status"));
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
        Assert.Equal("permanent", attempt.GetTagItem("error.type"));
        Assert.Equal("mx.example.org", session.GetTagItem("server.address"));
        Assert.Equal("127.0.0.1", session.GetTagItem("network.peer.address"));
        Assert.Equal(ActivityStatusCode.Unset, session.Status);
    }

    // ---- logs ----

    [Fact]
    public async Task The_protocol_log_has_client_and_server_lines_but_no_sasl_plain_credentials_and_no_message_data()
    {
        var logger = new CapturingLogger();
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0user\0secretpw"));
        await using var s = ScriptedSmtpServer.Play(["S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 AUTH PLAIN",
            "C: AUTH PLAIN " + plain, "S: 235 2.7.0 ok", .. Transaction]);
        var options = Options(logger: logger) with { Auth = (_, _) => new SaslPlain("user", "secretpw"), AuthSecurity = AuthSecurity.AllowCleartext };
        var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), options);
        await DeliverOnceAsync(c);
        await s.CompletionAsync();

        // The server did receive the credentials and the body: what is missing below was redacted.
        Assert.Contains("C: AUTH PLAIN " + plain, s.Transcript);
        Assert.Contains("C: top secret body line", s.Transcript);
        var lines = logger.Lines;
        Assert.Contains("LC: EHLO localhost", lines);
        Assert.Contains("RS: 235 2.7.0 ok", lines);
        Assert.Contains("LC: AUTH PLAIN ***", lines);
        Assert.Contains($"LC: message data, {Message.Length} bytes", lines);
        Assert.Contains("RS: 250 queued", lines);
        Assert.DoesNotContain(lines, l => l.Contains(plain, StringComparison.Ordinal) || l.Contains("secretpw", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("top secret", StringComparison.Ordinal) || l.Contains("Subject: x", StringComparison.Ordinal));
    }

    private static IEnumerable<LoggerMessageAttribute> LogEvents() =>
        typeof(SmtpClientSession).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>();

    [Fact]
    public void Every_log_event_has_a_distinct_id_listed_in_the_telemetry_doc()
    {
        var events = LogEvents().ToList();
        Assert.NotEmpty(events);
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "telemetry.md"));
        Assert.All(events, e => Assert.Contains($"| {e.EventId} | {e.Level} |", doc, StringComparison.Ordinal));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SmtpDeliver.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
