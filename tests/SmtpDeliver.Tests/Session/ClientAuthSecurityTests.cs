using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;
using SmtpDeliver.Sasl;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>
/// Issue 11 item 2: AUTH of any mechanism only over TLS whose certificate was verified (RFC 8314, RFC 4954 14),
/// weaker choices only by name; SCRAM's iteration cap, cancellation and timeout while hashing.
/// </summary>
public class ClientAuthSecurityTests
{
    private static readonly SaslCredentials Password = SaslCredentials.WithPassword("mjl", "test");
    private static readonly SmtpSessionOptions Fast = new() { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) };
    private static readonly SaslChooserOptions Uncapped = new() { ScramMaxIterations = int.MaxValue };

    /// <summary>
    /// A server that offers <paramref name="mechanisms"/> (after STARTTLS with <paramref name="certificate"/>
    /// when given) and answers PLAIN, CRAM-MD5 and SCRAM-SHA-256 with success for password "test".
    /// </summary>
    private static ScriptedSmtpServer Server(string mechanisms, X509Certificate2? certificate, X509Certificate2[]? chain = null, int scramIterations = 4096, Action? afterServerFirst = null) =>
        ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mox.example");
            await ss.ExpectAsync("EHLO localhost");
            if (certificate is not null)
            {
                await ss.WriteLineAsync("250-mox.example");
                await ss.WriteLineAsync("250 STARTTLS");
                await ss.ExpectAsync("STARTTLS");
                await ss.WriteLineAsync("220 go");
                await ss.StartTlsAsync(certificate, chain: chain);
                await ss.ExpectAsync("EHLO localhost");
            }
            await ss.WriteLineAsync("250-mox.example");
            await ss.WriteLineAsync("250 AUTH " + mechanisms);
            await AnswerAsync(ss, scramIterations, afterServerFirst);
        });

    private static async Task AnswerAsync(ServerSession ss, int scramIterations, Action? afterServerFirst)
    {
        var scram = new ScramTestServer(ScramHash.Sha256, "test", scramIterations);
        var scramStep = 0;
        while (true)
        {
            string? line;
            try
            {
                line = await ss.ReadLineAsync();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                return;
            }
            if (line is null)
            {
                return;
            }
            if (line == "QUIT")
            {
                await ss.WriteLineAsync("221 bye");
                return;
            }
            if (line == "*")
            {
                await ss.WriteLineAsync("501 5.0.0 authentication aborted");
            }
            else if (line.StartsWith("AUTH PLAIN", StringComparison.Ordinal))
            {
                await ss.WriteLineAsync("235 2.7.0 auth ok");
            }
            else if (line == "AUTH CRAM-MD5")
            {
                await ss.WriteLineAsync("334 " + Convert.ToBase64String("<1896.697170952@postoffice.example>"u8.ToArray()));
            }
            else if (line.StartsWith("AUTH SCRAM-SHA-256 ", StringComparison.Ordinal))
            {
                var clientFirst = Encoding.UTF8.GetString(Convert.FromBase64String(line["AUTH SCRAM-SHA-256 ".Length..]));
                await ss.WriteLineAsync("334 " + Convert.ToBase64String(Encoding.UTF8.GetBytes(scram.ServerFirst(clientFirst))));
                scramStep = 1;
                afterServerFirst?.Invoke();
            }
            else if (scramStep == 1)
            {
                var verdict = scram.ServerFinal(Encoding.UTF8.GetString(Convert.FromBase64String(line)));
                await ss.WriteLineAsync(verdict.StartsWith("v=", StringComparison.Ordinal) ? "334 " + Convert.ToBase64String(Encoding.UTF8.GetBytes(verdict)) : "535 5.7.8 bad");
                scramStep = 2;
            }
            else
            {
                // The CRAM-MD5 answer or SCRAM's final empty message.
                await ss.WriteLineAsync("235 2.7.0 auth ok");
            }
        }
    }

    private static async Task<SmtpDeliver.SmtpClientSession> ConnectAsync(ScriptedSmtpServer s, TlsMode mode, SmtpSessionOptions options, string remote = "mox.example", bool verifyPkix = false, CancellationToken cancellationToken = default) =>
        await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), options with { TlsMode = mode, EnforcePkix = verifyPkix, EhloHostname = Domain.Parse("localhost"), RemoteHostname = remote.Length == 0 ? default : Domain.Parse(remote) }, cancellationToken);

    private static async Task<SmtpException> RefusedAsync(ScriptedSmtpServer s, TlsMode mode, SmtpSessionOptions options, bool verifyPkix = false, string remote = "mox.example")
    {
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await ConnectAsync(s, mode, options, remote, verifyPkix));
        await s.CompletionAsync();
        // Not a single AUTH byte reached the server.
        Assert.DoesNotContain(s.Transcript, l => l.StartsWith("C: AUTH", StringComparison.Ordinal));
        Assert.Equal((true, SmtpCommand.Auth), (e.Permanent, e.Command));
        return e;
    }

    private static async Task ProceedsAsync(ScriptedSmtpServer s, TlsMode mode, SmtpSessionOptions options, string remote = "mox.example")
    {
        await using (var c = await ConnectAsync(s, mode, options, remote))
        {
            await c.CloseAsync();
        }
        await s.CompletionAsync();
        Assert.Contains("S: 235 2.7.0 auth ok", s.Transcript);
    }

    [Fact]
    public async Task Plain_over_starttls_with_an_untrusted_certificate_is_refused_before_auth()
    {
        // Issue 11 item 2: failed before the fix (PLAIN went to any certificate: the server saw AUTH PLAIN).
        await using var s = Server("PLAIN", TestCertificates.Server);
        var e = await RefusedAsync(s, TlsMode.Opportunistic, Fast with { Auth = SaslMechanismChooser.Selector(Password) });
        Assert.Equal(SmtpErrorReason.UnverifiedTlsAuthentication, e.Reason);
        Assert.Contains("PLAIN", e.Message, StringComparison.Ordinal);
        Assert.Contains("certificate not trusted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trusted_certificate_without_a_remote_name_to_match_is_not_verified()
    {
        // Issue 11 item 2: failed before the fix (AUTH went to a server whose certificate was matched to no name).
        await using var s = Server("PLAIN", TestCertificates.Server);
        var e = await RefusedAsync(s, TlsMode.Opportunistic, Fast with { Auth = SaslMechanismChooser.Selector(Password), RootCertificates = TestCertificates.Roots(TestCertificates.Server) }, remote: "");
        Assert.Equal(SmtpErrorReason.UnverifiedTlsAuthentication, e.Reason);
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("SCRAM-SHA-256")]
    public async Task Allow_cleartext_authenticates_without_tls_when_named(string mechanism)
    {
        await using var s = Server(mechanism, certificate: null);
        await ProceedsAsync(s, TlsMode.Opportunistic, Fast with { Auth = SaslMechanismChooser.Selector(Password), AuthSecurity = AuthSecurity.AllowCleartext });
    }

    [Fact]
    public async Task Ignored_pkix_failure_does_not_count_as_verified()
    {
        // Issue 11 item 2: failed before the fix (IgnoreTlsVerifyErrors let the password go to the unverified server).
        await using var s = Server("PLAIN", TestCertificates.Server);
        var e = await RefusedAsync(s, TlsMode.RequiredStartTls, Fast with { Auth = SaslMechanismChooser.Selector(Password), IgnoreTlsVerifyErrors = true }, verifyPkix: true);
        Assert.Equal(SmtpErrorReason.UnverifiedTlsAuthentication, e.Reason);
    }

    [Theory]
    // Issue 11 item 2: failed before the fix (SCRAM and CRAM-MD5 ran in cleartext, offline-crackable).
    [InlineData("SCRAM-SHA-256", AuthSecurity.VerifiedTls)]
    [InlineData("CRAM-MD5", AuthSecurity.VerifiedTls)]
    // Any TLS still means TLS: no TLS at all is refused too.
    [InlineData("SCRAM-SHA-256", AuthSecurity.AnyTls)]
    public async Task Challenge_response_mechanism_without_tls_is_refused(string mechanism, AuthSecurity security)
    {
        await using var s = Server(mechanism, certificate: null);
        var e = await RefusedAsync(s, TlsMode.Opportunistic, Fast with { Auth = SaslMechanismChooser.Selector(Password), AuthSecurity = security });
        Assert.Equal(SmtpErrorReason.CleartextAuthentication, e.Reason);
        Assert.Contains(mechanism, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, AuthSecurity.VerifiedTls)]
    [InlineData(false, AuthSecurity.AnyTls)]
    public async Task Plain_over_starttls_proceeds_with_a_trusted_certificate_or_any_tls_named(bool trustedCertificate, AuthSecurity security)
    {
        await using var s = Server("PLAIN", TestCertificates.Server);
        var options = Fast with { Auth = SaslMechanismChooser.Selector(Password), AuthSecurity = security };
        await ProceedsAsync(s, TlsMode.Opportunistic, trustedCertificate ? options with { RootCertificates = TestCertificates.Roots(TestCertificates.Server) } : options);
    }

    [Fact]
    public async Task Plain_over_starttls_verified_by_dane_only_proceeds()
    {
        var pki = DaneTestPki.Instance;
        await using var s = Server("PLAIN", pki.Leaf, [pki.Ca]);
        await ProceedsAsync(s, TlsMode.RequiredStartTls, Fast with { Auth = SaslMechanismChooser.Selector(Password), DaneRecords = [DaneVerifier.ComputeRecord(pki.Leaf)] }, remote: "localhost");
    }

    [Fact]
    public async Task Scram_iteration_count_above_the_cap_is_refused_and_the_exchange_aborted()
    {
        // Issue 11 item 2: failed before the fix (any count up to 999,999,999 was hashed, blocking the thread).
        await using var s = Server("SCRAM-SHA-256", TestCertificates.Server, scramIterations: 999_999_999);
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await ConnectAsync(s, TlsMode.Opportunistic,
            Fast with { Auth = SaslMechanismChooser.Selector(Password), RootCertificates = TestCertificates.Roots(TestCertificates.Server) }));
        await s.CompletionAsync();
        Assert.Equal(SaslErrorReason.IterationCountTooHigh, Assert.IsType<SaslException>(e.InnerException).Reason);
        // After the server-first message the client sent only the abort, then QUIT as the session is in step.
        var afterChallenge = s.Transcript.SkipWhile(l => !l.StartsWith("S: 334 ", StringComparison.Ordinal)).Where(l => l.StartsWith("C: ", StringComparison.Ordinal));
        Assert.Equal(["C: *", "C: QUIT"], afterChallenge);
    }

    [Fact]
    public async Task Cancellation_while_scram_hashes_stops_the_work()
    {
        // Issue 11 item 2: failed before the fix (the client hashed 999,999,999 iterations ignoring the token;
        // the safety net below ran out).
        using var cts = new CancellationTokenSource();
        // Cancelled once the server has asked for the count, so the client is hashing (or about to).
        await using var s = Server("SCRAM-SHA-256", TestCertificates.Server, scramIterations: 999_999_999, afterServerFirst: () => cts.CancelAfter(TimeSpan.FromMilliseconds(50)));
        var connect = ConnectAsync(s, TlsMode.Opportunistic,
            Fast with { Auth = SaslMechanismChooser.Selector(Password, options: Uncapped), RootCertificates = TestCertificates.Roots(TestCertificates.Server) },
            cancellationToken: cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connect.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Auth_timeout_while_scram_hashes_fails_the_session()
    {
        // Issue 11 item 2: failed before the fix (the AUTH timeout covered only reads and writes, not the hashing).
        await using var s = Server("SCRAM-SHA-256", TestCertificates.Server, scramIterations: 999_999_999);
        var options = Fast with
        {
            Auth = SaslMechanismChooser.Selector(Password, options: Uncapped),
            RootCertificates = TestCertificates.Roots(TestCertificates.Server),
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) with { Command = TimeSpan.FromSeconds(2) },
        };
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await ConnectAsync(s, TlsMode.Opportunistic, options).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((SmtpErrorReason.Timeout, false, SmtpCommand.Auth), (e.Reason, e.Permanent, e.Command));
    }
}
