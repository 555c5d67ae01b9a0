using SmtpDeliver.Names;
using SmtpDeliver.Sasl;
using SmtpDeliver.Tests.Support;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.Hostile;

/// <summary>
/// The client cases SEC-01 to SEC-12 of standards.md §10: the STARTTLS attack classes of Poddebniak et
/// al., USENIX Security 2021, as a meddler-in-the-middle would play them.
/// </summary>
public class StartTlsAttackTests
{
    private static readonly SmtpSessionOptions Fast = new() { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(5)) };
    private static readonly SaslClientSelector Plain = (_, _) => new SaslPlain("user", "secret-password");

    private static async Task<SmtpException> SetupFailsAsync(ScriptedSmtpServer s, TlsMode mode, SmtpSessionOptions? options = null)
    {
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (options ?? Fast) with { TlsMode = mode, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        await s.CompletionAsync();
        return e;
    }

    private static void AssertNothingSensitiveSent(ScriptedSmtpServer s) =>
        Assert.DoesNotContain(s.Transcript, l => l.StartsWith("C: AUTH", StringComparison.Ordinal) || l.StartsWith("C: MAIL", StringComparison.Ordinal) || l.StartsWith("C: RCPT", StringComparison.Ordinal));

    [Fact]
    public async Task SEC01_stripped_starttls_in_required_mode_is_still_sent_and_its_failure_ends_the_session()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 AUTH PLAIN", "C: STARTTLS", "S: 502 5.5.1 not implemented");
        var e = await SetupFailsAsync(s, TlsMode.RequiredStartTls, Fast with { Auth = Plain, AuthSecurity = AuthSecurity.AllowCleartext });
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        AssertNothingSensitiveSent(s);
    }

    [Fact]
    public async Task SEC01_stripped_starttls_in_opportunistic_mode_continues_in_plaintext_and_is_recorded()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250 mx.example", "C: QUIT", "S: 221 bye");
        var result = new TlsRptResult(PolicyType.NoPolicyFound, "mx.example");
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Fast with { HostResult = result }) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mx.example") }))
        {
            Assert.Null(c.Tls);
        }
        await s.CompletionAsync();
        Assert.Equal("starttls-not-supported", Assert.Single(result.FailureDetails).ResultType);
    }

    [Theory]
    [InlineData(454)]
    [InlineData(502)]
    [InlineData(500)]
    [InlineData(501)]
    [InlineData(530)]
    public async Task SEC02_starttls_error_reply_in_required_mode_ends_the_session(int code)
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 STARTTLS", "C: STARTTLS", $"S: {code} no tls for you");
        var result = new TlsRptResult(PolicyType.NoPolicyFound, "mx.example");
        var e = await SetupFailsAsync(s, TlsMode.RequiredStartTls, Fast with { HostResult = result, Auth = Plain, AuthSecurity = AuthSecurity.AllowCleartext });
        Assert.Equal((SmtpErrorReason.Tls, code, code >= 500), (e.Reason, e.Response.Code, e.Permanent));
        Assert.Equal($"smtp-starttls-reply-code-{code}", Assert.Single(result.FailureDetails).FailureReasonCode);
        AssertNothingSensitiveSent(s);
    }

    [Theory]
    [InlineData(354)]
    [InlineData(221)]
    [InlineData(250)]
    [InlineData(421)]
    public async Task SEC03_nonsense_reply_to_starttls_is_a_tls_failure_and_nothing_follows(int code)
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteLineAsync($"{code} do something else");
            Assert.Null(await ss.ReadLineAsync());
        });
        var e = await SetupFailsAsync(s, TlsMode.Opportunistic);
        Assert.Equal((SmtpErrorReason.Tls, code), (e.Reason, e.Response.Code));
        Assert.Equal("C: STARTTLS", s.Transcript[^2]);
    }

    [Fact]
    public async Task SEC04_helo_only_server_still_gets_starttls_in_required_mode()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 502 5.5.1 what", "C: HELO localhost", "S: 250 mx.example", "C: STARTTLS", "S: 502 5.5.1 what");
        var e = await SetupFailsAsync(s, TlsMode.RequiredStartTls, Fast with { Auth = Plain, AuthSecurity = AuthSecurity.AllowCleartext });
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        AssertNothingSensitiveSent(s);
    }

    [Fact]
    public async Task SEC05_auth_announced_before_tls_is_never_used_when_starttls_fails()
    {
        var mechanisms = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"X-MECH-{i}")) + " PLAIN LOGIN";
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", $"S: 250-AUTH {mechanisms}", "S: 250 STARTTLS", "C: STARTTLS", "S: 502 5.5.1 no");
        var e = await SetupFailsAsync(s, TlsMode.Opportunistic, Fast with { Auth = Plain });
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        AssertNothingSensitiveSent(s);
    }

    [Fact]
    public async Task SEC05_cleartext_auth_without_tls_is_refused_by_default()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mx.example");
            await ss.WriteLineAsync("250 AUTH PLAIN LOGIN");
            // RFC 5321 4.1.1.10: the session is still in step, so the client says QUIT.
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
            Assert.Null(await ss.ReadLineAsync());
        });
        var e = await SetupFailsAsync(s, TlsMode.Opportunistic, Fast with { Auth = Plain });
        Assert.Equal(SmtpErrorReason.CleartextAuthentication, e.Reason);
        AssertNothingSensitiveSent(s);
    }

    [Fact]
    public async Task SEC06_response_injection_after_starttls_reply_is_never_parsed_and_auth_login_never_used()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteRawAsync("220 Ready to start TLS\r\n250-example.org\r\n250 AUTH LOGIN\r\n"u8.ToArray());
            await ss.DrainAsync();
        });
        var e = await SetupFailsAsync(s, TlsMode.Opportunistic, Fast with { Auth = (m, _) => m.Contains("LOGIN") ? new SaslLogin("user", "secret") : null });
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        AssertNothingSensitiveSent(s);
    }

    [Fact]
    public async Task SEC07_pre_tls_extensions_are_discarded_and_post_tls_values_decide()
    {
        var received = new List<string>();
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 fake.trusted.example");
            await ss.ExpectAsync("EHLO localhost");
            foreach (var l in new[] { "250-mx.example", "250-PIPELINING", "250-SIZE 10", "250-SMTPUTF8", "250-LIMITS RCPTMAX=1", "250-AUTH PLAIN", "250 STARTTLS" })
            {
                await ss.WriteLineAsync(l);
            }
            await ss.ExpectAsync("STARTTLS");
            await ss.WriteLineAsync("220 go");
            await ss.StartTlsAsync(TestCertificates.Server);
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mx.example");
            await ss.WriteLineAsync("250 SIZE 100000");
            // Without PIPELINING after TLS, the client must wait for each reply.
            await ss.ExpectPrefixAsync("MAIL FROM:<a@example.org> SIZE=");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("RCPT TO:<b@example.org>");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("RCPT TO:<c@example.org>");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("DATA");
            await ss.WriteLineAsync("354 go");
            received.Add(await ss.ReadDataAsync());
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        var message = "Subject: x\r\n\r\n" + new string('x', 100) + "\r\n";
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }))
        {
            Assert.Equal((100000L, false, false, null), (c.Extensions.MaxSize, c.Extensions.Pipelining, c.Extensions.SmtpUtf8, c.Extensions.Limits));
            Assert.Empty(c.Extensions.AuthMechanisms);
            await c.DeliverMultipleAsync("a@example.org", ["b@example.org", "c@example.org"], message.Length, new MemoryStream(System.Text.Encoding.ASCII.GetBytes(message)));
        }
        await s.CompletionAsync();
        Assert.Single(received);
    }

    [Fact]
    public async Task SEC08_unsolicited_reply_makes_the_session_broken()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteRawAsync("250 mx.example\r\n250 extra reply nobody asked for\r\n"u8.ToArray());
            await ss.DrainAsync();
        });
        await using var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync("a@example.org", "b@example.org", 6, new MemoryStream("test\r\n"u8.ToArray())));
        Assert.Equal(SmtpErrorReason.Protocol, e.Reason);
        Assert.True(c.IsBroken);
        AssertNothingSensitiveSent(s);
    }

    [Fact]
    public async Task SEC09_decisions_never_depend_on_reply_text()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 250 OK trusted bank mail", "C: EHLO localhost", "S: 250 mx.example",
            "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<b@example.org>", "S: 550 5.0.0 250 2.0.0 OK message delivered", "C: QUIT", "S: 221 bye");
        await using var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync("a@example.org", "b@example.org", 6, new MemoryStream("test\r\n"u8.ToArray())));
        Assert.Equal((550, true, SmtpCommand.RcptTo), (e.Response.Code, e.Permanent, e.Command));
        Assert.Equal("250 OK trusted bank mail", c.RemoteGreeting);
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task SEC10_nothing_is_written_between_starttls_and_the_handshake()
    {
        // The server starts its TLS handshake right after its 220: anything the client had written after
        // STARTTLS would be read as a TLS record and fail the handshake.
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteLineAsync("220 go");
            await ss.StartTlsAsync(TestCertificates.Server);
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx.example");
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Fast with { Auth = null }) with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }))
        {
            Assert.NotNull(c.Tls);
        }
        await s.CompletionAsync();
        Assert.Equal(["S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 STARTTLS", "C: STARTTLS", "S: 220 go", "(tls)"], s.Transcript.Take(7));
    }

    [Fact]
    public async Task SEC11_self_signed_meddler_certificate_fails_when_verification_is_required()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.OfferRejectedTlsAsync(TestCertificates.Server);
        });
        var domain = new TlsRptResult(PolicyType.NoPolicyFound, "mox.example");
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Fast with { RecipientDomainResult = domain, Auth = Plain }) with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = true, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }));
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        Assert.Equal("certificate-not-trusted", Assert.Single(domain.FailureDetails).ResultType);
        AssertNothingSensitiveSent(s);
    }

    [Fact]
    public async Task SEC12_implicit_tls_needs_no_starttls_at_all()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.StartTlsAsync(TestCertificates.Server);
            await ss.WriteLineAsync("220 mox.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mox.example");
            await ss.WriteLineAsync("250 AUTH PLAIN");
            await ss.ExpectPrefixAsync("AUTH PLAIN ");
            await ss.WriteLineAsync("235 2.7.0 ok");
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Fast with { Auth = Plain, RootCertificates = TestCertificates.Roots(TestCertificates.Server) }) with { TlsMode = TlsMode.Implicit, EnforcePkix = true, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }))
        {
            Assert.NotNull(c.Tls);
        }
        await s.CompletionAsync();
        Assert.DoesNotContain("C: STARTTLS", s.Transcript);
    }
}
