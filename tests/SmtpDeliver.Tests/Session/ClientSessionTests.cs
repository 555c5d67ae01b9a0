using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>The scenarios of mox's TestClient, against the same scripted server.</summary>
public class ClientSessionTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes(
        "From: <postmaster@mox.example>\r\nTo: <mjl@mox.example>\r\nSubject: test\r\n\r\ntest\r\n");

    private sealed record ClientSide
    {
        public TlsMode TlsMode { get; init; } = TlsMode.Opportunistic;
        public bool VerifyPkix { get; init; }
        public string RemoteHost { get; init; } = "";
        public SmtpSessionOptions Options { get; init; } = new();
        public DeliveryRequirements Requirements { get; init; }
        public string[] Recipients { get; init; } = ["mjl@mox.example"];
    }

    private sealed record Outcome(SmtpException? SetupError, SmtpException? DeliverError, IReadOnlyList<SmtpResponse>? Responses, List<string> Received, IReadOnlyList<string> Transcript);

    private static async Task<Outcome> RunAsync(ScenarioOptions server, ClientSide client)
    {
        var received = new List<string>();
        await using var s = MoxScenarioServer.Start(server, received);
        var socket = await s.ConnectAsync();
        SmtpDeliver.SmtpClientSession? c;
        try
        {
            c = await SmtpClientSession.ConnectAsync(socket, (client.Options with { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) }) with { TlsMode = client.TlsMode, EnforcePkix = client.VerifyPkix, EhloHostname = Domain.Parse("localhost"), RemoteHostname = client.RemoteHost.Length > 0 ? Domain.Parse(client.RemoteHost) : default });
        }
        catch (SmtpException e)
        {
            await CompletionAsync(s);
            return new Outcome(e, null, null, received, s.Transcript);
        }
        SmtpException? deliverError = null;
        IReadOnlyList<SmtpResponse>? responses = null;
        try
        {
            responses = await c.DeliverMultipleAsync("postmaster@mox.example", client.Recipients, Message.Length, new MemoryStream(Message), client.Requirements);
            await c.ResetAsync();
            responses = await c.DeliverMultipleAsync("postmaster@mox.example", client.Recipients, Message.Length, new MemoryStream(Message), client.Requirements);
        }
        catch (SmtpException e)
        {
            deliverError = e;
        }
        await c.CloseAsync();
        await CompletionAsync(s);
        return new Outcome(null, deliverError, responses, received, s.Transcript);
    }

    /// <summary>Waits for the connection to end and fails when the client did what the scenario forbids.</summary>
    private static async Task CompletionAsync(SmtpSink s)
    {
        await s.CompletionAsync();
        Assert.DoesNotContain(s.Errors, e => e is InvalidOperationException);
    }

    [Fact]
    public async Task Helo_fallback_after_ehlo_refused_then_deliver_twice()
    {
        var o = await RunAsync(new ScenarioOptions { Ehlo = false }, new ClientSide());
        Assert.Null(o.DeliverError);
        Assert.Equal(2, o.Received.Count);
        Assert.Equal(Encoding.ASCII.GetString(Message), o.Received[0]);
        Assert.Contains("C: HELO localhost", o.Transcript);
        Assert.Contains("S: 500 bad syntax", o.Transcript);
        Assert.DoesNotContain(o.Transcript, l => l == "C: STARTTLS");
    }

    [Fact]
    public async Task All_extensions_with_required_starttls_pkix_and_requiretls_after_tls()
    {
        var server = new ScenarioOptions
        {
            Pipelining = true, Ecodes = true, MaxSize = 512, EightBitMime = true, SmtpUtf8 = true, StartTls = true, RequireTlsAfterTls = true,
        };
        var o = await RunAsync(server, new ClientSide
        {
            TlsMode = TlsMode.RequiredStartTls,
            VerifyPkix = true,
            RemoteHost = "mox.example",
            Options = new SmtpSessionOptions { RootCertificates = TestCertificates.Roots(TestCertificates.Server) },
            Requirements = DeliveryRequirements.EightBitMime | DeliveryRequirements.SmtpUtf8 | DeliveryRequirements.RequireTls,
        });
        Assert.Null(o.SetupError);
        Assert.Null(o.DeliverError);
        Assert.Equal(2, o.Received.Count);
        Assert.Contains($"C: MAIL FROM:<postmaster@mox.example> SIZE={Message.Length} BODY=8BITMIME SMTPUTF8 REQUIRETLS", o.Transcript);
    }

    [Fact]
    public async Task Eightbitmime_announced_and_required()
    {
        var o = await RunAsync(new ScenarioOptions { EightBitMime = true }, new ClientSide { Requirements = DeliveryRequirements.EightBitMime });
        Assert.Null(o.DeliverError);
        Assert.Contains("C: MAIL FROM:<postmaster@mox.example> BODY=8BITMIME", o.Transcript);
    }

    [Theory]
    [InlineData(DeliveryRequirements.EightBitMime, SmtpErrorReason.EightBitMimeUnsupported, true)]
    [InlineData(DeliveryRequirements.SmtpUtf8, SmtpErrorReason.SmtpUtf8Unsupported, false)]
    [InlineData(DeliveryRequirements.RequireTls, SmtpErrorReason.RequireTlsUnsupported, false)]
    public async Task Required_extension_missing_fails_before_mail(DeliveryRequirements required, SmtpErrorReason reason, bool permanent)
    {
        var o = await RunAsync(new ScenarioOptions { ExpectDelivery = false }, new ClientSide { Requirements = required });
        var e = Assert.IsType<SmtpException>(o.DeliverError);
        Assert.Equal((reason, permanent), (e.Reason, e.Permanent));
        Assert.DoesNotContain(o.Transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Required_starttls_with_pkix_and_wrong_host_name_fails_with_tls_error()
    {
        var o = await RunAsync(new ScenarioOptions { StartTls = true, ExpectDelivery = false },
            new ClientSide { TlsMode = TlsMode.RequiredStartTls, VerifyPkix = true, RemoteHost = "mismatch.example", Options = new SmtpSessionOptions { RootCertificates = TestCertificates.Roots(TestCertificates.Server) } });
        var e = Assert.IsType<SmtpException>(o.SetupError);
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        Assert.Equal(SmtpCommand.StartTls, e.Command);
        Assert.False(e.Permanent);
    }

    [Fact]
    public async Task Message_larger_than_announced_size_fails_permanently_before_mail()
    {
        var o = await RunAsync(new ScenarioOptions { MaxSize = Message.Length - 1, ExpectDelivery = false }, new ClientSide());
        var e = Assert.IsType<SmtpException>(o.DeliverError);
        Assert.Equal(SmtpErrorReason.MessageTooLarge, e.Reason);
        Assert.True(e.Permanent);
        Assert.DoesNotContain(o.Transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Three_recipients_all_accepted_pipelined()
    {
        var o = await RunAsync(new ScenarioOptions { Pipelining = true }, new ClientSide { Recipients = ["a@mox.example", "b@mox.example", "c@mox.example"] });
        Assert.Null(o.DeliverError);
        Assert.Equal([250, 250, 250], o.Responses!.Select(r => r.Code));
    }

    [Theory]
    [InlineData(false, 452)]
    [InlineData(true, 452)]
    [InlineData(false, 552)]
    [InlineData(true, 552)]
    public async Task Partly_refused_recipients_give_per_recipient_responses(bool pipelining, int third)
    {
        var o = await RunAsync(new ScenarioOptions { Pipelining = pipelining, RcptCodes = [250, 554, third] },
            new ClientSide { Recipients = ["a@mox.example", "b@mox.example", "c@mox.example"] });
        Assert.Null(o.DeliverError);
        Assert.Equal([250, 554, third], o.Responses!.Select(r => r.Code));
        Assert.Equal([false, true, false], o.Responses!.Select(r => r.Permanent));
        Assert.Null(o.Responses![0].Reason);
        Assert.Equal(SmtpErrorReason.Status, o.Responses![1].Reason);
    }

    [Fact]
    public async Task Pipelined_single_recipient_refused_returns_its_reply_after_ending_data()
    {
        var o = await RunAsync(new ScenarioOptions { Pipelining = true, RcptCodes = [452], ExpectSecondDelivery = false }, new ClientSide());
        var e = Assert.IsType<SmtpException>(o.DeliverError);
        Assert.Equal(452, e.Response.Code);
        Assert.Equal(SmtpCommand.RcptTo, e.Command);
        Assert.Equal("452 maybe", e.Response.Line);
        Assert.False(e.Permanent);
        Assert.Equal("", e.Response.EnhancedStatusCode);
        Assert.Equal(SmtpErrorReason.Status, e.Reason);
        Assert.Equal([""], o.Received);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Expired_certificate_accepted_when_pkix_not_enforced(bool rootsContainCertificate)
    {
        var roots = rootsContainCertificate ? TestCertificates.Roots(TestCertificates.Expired) : [];
        var o = await RunAsync(new ScenarioOptions { StartTls = true, Certificate = TestCertificates.Expired },
            new ClientSide { Options = new SmtpSessionOptions { RootCertificates = roots } });
        Assert.Null(o.SetupError);
        Assert.Null(o.DeliverError);
        Assert.Contains("(tls)", o.Transcript);
    }

    [Theory]
    [InlineData("PLAIN", false)]
    [InlineData("CRAM-MD5", false)]
    [InlineData("SCRAM-SHA-1", false)]
    [InlineData("SCRAM-SHA-256", false)]
    [InlineData("SCRAM-SHA-1-PLUS", true)]
    [InlineData("SCRAM-SHA-256-PLUS", true)]
    public async Task Authentication_with_each_mechanism_then_delivery(string mechanism, bool overTls12)
    {
        var chosen = "";
        var selector = SmtpDeliver.Sasl.SaslMechanismChooser.Selector(SmtpDeliver.Sasl.SaslCredentials.WithPassword("mjl", "test"), mechanism);
        var o = await RunAsync(
            new ScenarioOptions { Auths = [mechanism], StartTls = overTls12, TlsProtocols = System.Security.Authentication.SslProtocols.Tls12 },
            new ClientSide { Options = new SmtpSessionOptions { AuthSecurity = AuthSecurity.AllowCleartext, Auth = (m, tls) => { var c = selector(m, tls); chosen = c?.Name ?? ""; return c; } } });
        Assert.Null(o.SetupError);
        Assert.Null(o.DeliverError);
        Assert.Equal(mechanism, chosen);
        Assert.Contains("S: 235 2.7.0 auth ok", o.Transcript);
        Assert.Equal(2, o.Received.Count);
    }

    [Fact]
    public async Task Scram_with_a_wrong_password_fails_with_535()
    {
        var o = await RunAsync(
            new ScenarioOptions { Auths = ["SCRAM-SHA-256"], ScramPassword = "other", ExpectDelivery = false },
            new ClientSide { Options = new SmtpSessionOptions { AuthSecurity = AuthSecurity.AllowCleartext, Auth = SmtpDeliver.Sasl.SaslMechanismChooser.Selector(SmtpDeliver.Sasl.SaslCredentials.WithPassword("mjl", "test")) } });
        var e = Assert.IsType<SmtpException>(o.SetupError);
        Assert.Equal((SmtpErrorReason.Authentication, 535, "5.7.8"), (e.Reason, e.Response.Code, e.Response.EnhancedStatusCode));
    }

    [Fact]
    public async Task Opportunistic_starttls_with_untrusted_certificate_and_no_remote_name_delivers()
    {
        var o = await RunAsync(new ScenarioOptions { StartTls = true }, new ClientSide());
        Assert.Null(o.SetupError);
        Assert.Null(o.DeliverError);
        Assert.Equal(2, o.Received.Count);
    }
}
