using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.Session;

/// <summary>STARTTLS, implicit TLS, PKIX and TLSRPT accounting (checklist 31–56, RFC 3207, RFC 8460).</summary>
public class ClientTlsTests
{
    private sealed record Results(TlsRptResult RecipientDomain, TlsRptResult Host)
    {
        public static Results New() => new(new TlsRptResult(PolicyType.NoPolicyFound, "mox.example"), new TlsRptResult(PolicyType.NoPolicyFound, "mox.example"));
    }

    private static SmtpSessionOptions Options(Results r, X509Certificate2Collection? roots = null, TimeSpan? timeout = null) => new()
    {
        RecipientDomainResult = r.RecipientDomain,
        HostResult = r.Host,
        RootCertificates = roots,
        Timeouts = SmtpTimeouts.All(timeout ?? TimeSpan.FromSeconds(10)),
    };

    /// <summary>Greeting and EHLO with the given extension lines, STARTTLS with the certificate, EHLO again with <paramref name="afterTls"/>, QUIT.</summary>
    private static ScriptedSmtpServer StartTlsServer(X509Certificate2 certificate, string[] beforeTls, string[] afterTls, Action<ServerSession>? inspect = null) =>
        ScriptedSmtpServer.Start(async s =>
        {
            await s.WriteLineAsync("220 mox.example ESMTP test");
            await s.ExpectAsync("EHLO localhost");
            await WriteEhloAsync(s, ["STARTTLS", .. beforeTls]);
            await s.ExpectAsync("STARTTLS");
            await s.WriteLineAsync("220 go");
            await s.StartTlsAsync(certificate);
            inspect?.Invoke(s);
            await s.ExpectAsync("EHLO localhost");
            await WriteEhloAsync(s, afterTls);
            var quit = await s.ReadLineAsync();
            if (quit == "QUIT")
            {
                await s.WriteLineAsync("221 ok");
            }
        });

    private static async Task WriteEhloAsync(ServerSession s, string[] extensions)
    {
        if (extensions.Length == 0)
        {
            await s.WriteLineAsync("250 mox.example");
            return;
        }
        await s.WriteLineAsync("250-mox.example");
        for (var i = 0; i < extensions.Length; i++)
        {
            await s.WriteLineAsync((i == extensions.Length - 1 ? "250 " : "250-") + extensions[i]);
        }
    }

    [Fact]
    public async Task Opportunistic_without_starttls_records_not_supported_without_counting_a_session()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mox.example ESMTP test", "C: EHLO localhost", "S: 250 mox.example", "C: QUIT", "S: 221 ok");
        var r = Results.New();
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r)) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }))
        {
            Assert.Null(c.Tls);
        }
        await s.CompletionAsync();
        foreach (var result in new[] { r.RecipientDomain, r.Host })
        {
            Assert.Equal(0, result.Summary.TotalSuccessfulSessionCount);
            Assert.Equal(0, result.Summary.TotalFailureSessionCount);
            var d = Assert.Single(result.FailureDetails);
            Assert.Equal(("starttls-not-supported", "", 1L, "mox.example", "mox.example ESMTP test"), (d.ResultType, d.FailureReasonCode, d.FailedSessionCount, d.ReceivingMxHostname, d.ReceivingMxHelo));
            Assert.Equal("127.0.0.1", d.ReceivingIp);
            Assert.Equal("127.0.0.1", d.SendingMtaIp);
        }
    }

    [Fact]
    public async Task Skip_mode_records_nothing()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 STARTTLS", "C: QUIT", "S: 221 ok");
        var r = Results.New();
        await using (await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r)) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }))
        {
        }
        await s.CompletionAsync();
        Assert.Empty(r.Host.FailureDetails);
        Assert.Equal(0, r.Host.Summary.TotalSuccessfulSessionCount + r.Host.Summary.TotalFailureSessionCount);
    }

    [Fact]
    public async Task Starttls_counts_success_sends_sni_and_forgets_extensions_learnt_before_tls()
    {
        var sni = "";
        await using var s = StartTlsServer(TestCertificates.Server, ["AUTH PLAIN", "PIPELINING"], ["REQUIRETLS", "8BITMIME"], ss => sni = ss.ServerName);
        var r = Results.New();
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r, TestCertificates.Roots(TestCertificates.Server))) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = true, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }))
        {
            Assert.NotNull(c.Tls);
            Assert.True(c.Pkix!.Verified);
            Assert.True(c.SupportsStartTls);
            // RFC 3207 4.2: AUTH and PIPELINING were announced only in plaintext.
            Assert.Empty(c.Extensions.AuthMechanisms);
            Assert.False(c.Extensions.Pipelining);
            Assert.True(c.SupportsRequireTls);
            Assert.True(c.Supports8BitMime);
            Assert.Single(c.Tls!.PeerCertificates);
            Assert.Equal(TestCertificates.Server.Thumbprint, c.Tls.PeerCertificates[0].Thumbprint);
        }
        await s.CompletionAsync();
        Assert.Equal("mox.example", sni);
        foreach (var result in new[] { r.RecipientDomain, r.Host })
        {
            Assert.Equal((1L, 0L), (result.Summary.TotalSuccessfulSessionCount, result.Summary.TotalFailureSessionCount));
            Assert.Empty(result.FailureDetails);
        }
    }

    [Theory]
    [InlineData("expired", "mox.example", "certificate-expired")]
    [InlineData("valid", "other.example", "certificate-host-mismatch")]
    [InlineData("untrusted", "mox.example", "certificate-not-trusted")]
    [InlineData("expired-untrusted-mismatch", "other.example", "certificate-expired")]
    public async Task Pkix_failure_is_recorded_for_the_recipient_domain_even_when_not_enforced(string kind, string remoteHost, string resultType)
    {
        var cert = kind.StartsWith("expired", StringComparison.Ordinal) ? TestCertificates.Expired : TestCertificates.Server;
        var roots = kind.Contains("untrusted", StringComparison.Ordinal) ? TestCertificates.Roots() : TestCertificates.Roots(cert);
        await using var s = StartTlsServer(cert, [], []);
        var r = Results.New();
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r, roots)) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse(remoteHost) }))
        {
            Assert.False(c.Pkix!.Verified);
        }
        await s.CompletionAsync();
        var d = Assert.Single(r.RecipientDomain.FailureDetails);
        Assert.Equal(resultType, d.ResultType);
        Assert.Empty(r.Host.FailureDetails);
        Assert.Equal(1, r.RecipientDomain.Summary.TotalSuccessfulSessionCount);
        Assert.Equal(1, r.Host.Summary.TotalSuccessfulSessionCount);
    }

    [Fact]
    public async Task Enforced_pkix_failure_fails_the_handshake_and_counts_one_failure_without_duplicate_details()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.OfferRejectedTlsAsync(TestCertificates.Server);
        });
        var r = Results.New();
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r, TestCertificates.Roots())) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = true, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }));
        await s.CompletionAsync();
        Assert.Equal((SmtpErrorReason.Tls, false, SmtpCommand.StartTls), (e.Reason, e.Permanent, e.Command));
        Assert.Equal((0L, 1L), (r.RecipientDomain.Summary.TotalSuccessfulSessionCount, r.RecipientDomain.Summary.TotalFailureSessionCount));
        Assert.Equal("certificate-not-trusted", Assert.Single(r.RecipientDomain.FailureDetails).ResultType);
        Assert.Equal((0L, 1L), (r.Host.Summary.TotalSuccessfulSessionCount, r.Host.Summary.TotalFailureSessionCount));
        Assert.Empty(r.Host.FailureDetails);
    }

    [Fact]
    public async Task Ignore_verify_errors_continues_and_counts_success_but_records_the_failure()
    {
        await using var s = StartTlsServer(TestCertificates.Expired, [], []);
        var r = Results.New();
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r, TestCertificates.Roots(TestCertificates.Expired)) with { IgnoreTlsVerifyErrors = true }) with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = true, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }))
        {
            Assert.NotNull(c.Tls);
        }
        await s.CompletionAsync();
        Assert.Equal(1, r.RecipientDomain.Summary.TotalSuccessfulSessionCount);
        Assert.Equal("certificate-expired", Assert.Single(r.RecipientDomain.FailureDetails).ResultType);
    }

    [Fact]
    public async Task Empty_remote_hostname_sends_no_sni_and_checks_no_name()
    {
        var sni = "unset";
        await using var s = StartTlsServer(TestCertificates.Server, [], [], ss => sni = ss.ServerName);
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(Results.New(), TestCertificates.Roots(TestCertificates.Server))) with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = true, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }))
        {
            Assert.True(c.Pkix!.Verified);
        }
        await s.CompletionAsync();
        Assert.Equal("", sni);
    }

    [Fact]
    public async Task Immediate_tls_handshakes_before_the_greeting_and_never_sends_starttls()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.StartTlsAsync(TestCertificates.Server);
            await ss.WriteLineAsync("220 mox.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mox.example");
            await ss.WriteLineAsync("250 STARTTLS");
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 ok");
        });
        var r = Results.New();
        await using (var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r, TestCertificates.Roots(TestCertificates.Server))) with { TlsMode = TlsMode.Implicit, EnforcePkix = true, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }))
        {
            Assert.NotNull(c.Tls);
        }
        await s.CompletionAsync();
        Assert.Equal(1, r.Host.Summary.TotalSuccessfulSessionCount);
    }

    [Fact]
    public async Task Implicit_tls_to_a_plaintext_server_is_a_typed_tls_error_with_record_header_reason()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mox.example plaintext greeting where tls was expected");
            await ss.DrainAsync();
        });
        var r = Results.New();
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r)) with { TlsMode = TlsMode.Implicit, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        Assert.Equal((SmtpErrorReason.Tls, SmtpCommand.Greeting), (e.Reason, e.Command));
        Assert.Equal(1, r.Host.Summary.TotalFailureSessionCount);
        Assert.Equal(("validation-failure", "tls-record-header-error"), (r.Host.FailureDetails[0].ResultType, r.Host.FailureDetails[0].FailureReasonCode));
    }

    [Theory]
    [InlineData("close", "connection-closed-during-handshake")]
    [InlineData("silent", "io-timeout-during-handshake")]
    [InlineData("garbage", "tls-record-header-error")]
    public async Task Starttls_handshake_failure_is_transient_and_classified(string behaviour, string reason)
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteLineAsync("220 go");
            switch (behaviour)
            {
                case "close":
                    ss.Close();
                    break;
                case "silent":
                    await ss.DrainAsync();
                    break;
                default:
                    await ss.ReadSomeAsync();
                    await ss.WriteRawAsync(new byte[64]);
                    await ss.DrainAsync();
                    break;
            }
        });
        var r = Results.New();
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r) with { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) with { TlsHandshake = TimeSpan.FromMilliseconds(500) } }) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        Assert.Equal((SmtpErrorReason.Tls, false, SmtpCommand.StartTls), (e.Reason, e.Permanent, e.Command));
        var d = Assert.Single(r.Host.FailureDetails);
        Assert.Equal(("validation-failure", reason), (d.ResultType, d.FailureReasonCode));
        Assert.Equal(1, r.RecipientDomain.Summary.TotalFailureSessionCount);
    }

    [Fact]
    public async Task Server_rejecting_the_session_after_the_handshake_without_an_alert_is_a_connection_error()
    {
        // A .NET server closes without a TLS alert when it rejects the client certificate after a TLS 1.2
        // handshake the client considers complete. (With an alert, as OpenSSL servers send, the success is
        // turned into a failure: see the integration test with openssl s_server.)
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteLineAsync("220 go");
            try
            {
                await ss.StartTlsAsync(TestCertificates.Server, SslProtocols.Tls12, requireClientCertificate: true, rejectClientCertificate: true);
            }
            catch (AuthenticationException)
            {
            }
        });
        var r = Results.New();
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r)) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        Assert.Equal((SmtpErrorReason.Connection, SmtpCommand.Ehlo, false), (e.Reason, e.Command, e.Permanent));
        Assert.Equal(1, r.Host.Summary.TotalSuccessfulSessionCount);
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Bytes_injected_after_starttls_reply_end_the_session_and_are_never_read_as_replies()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteRawAsync("220 go\r\n250-injected\r\n250 AUTH PLAIN\r\n"u8.ToArray());
            await ss.DrainAsync();
        });
        var r = Results.New();
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(r)) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        Assert.Equal((SmtpErrorReason.Tls, SmtpCommand.StartTls), (e.Reason, e.Command));
        Assert.Equal("starttls-response-injection", Assert.Single(r.Host.FailureDetails).FailureReasonCode);
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Tls_below_1_2_is_refused()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            try
            {
#pragma warning disable SYSLIB0039, CA5397 // deliberately old protocol for the test
                await ss.StartTlsAsync(TestCertificates.Server, SslProtocols.Tls11);
#pragma warning restore SYSLIB0039, CA5397
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
            }
        });
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(Results.New())) with { TlsMode = TlsMode.Implicit, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Client_certificate_is_presented()
    {
        var clientCert = TestCertificates.SelfSigned("client.example", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        X509Certificate2? seen = null;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteLineAsync("220 go");
            await ss.StartTlsAsync(TestCertificates.Server, requireClientCertificate: true);
            seen = ss.ClientCertificate;
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mox.example");
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 ok");
        });
        await using (await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (Options(Results.New()) with { ClientCertificate = clientCert }) with { TlsMode = TlsMode.Opportunistic, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }))
        {
        }
        await s.CompletionAsync();
        Assert.Equal(clientCert.Thumbprint, seen?.Thumbprint);
    }
}
