using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.Sasl;

namespace SmtpDeliver.IntegrationTests.Sasl;

/// <summary>Submission with SASL against the real Postfix, authenticating through Dovecot (issue: SASL).</summary>
public class DovecotSubmissionTests
{
    private static string User => IntegrationEnvironment.Get("postfix", "SASL_USER");
    private static string Password => IntegrationEnvironment.Get("postfix", "SASL_PASSWORD");
    private static X509Certificate2Collection Roots => [X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"))];

    public static TheoryData<string> Mechanisms() => new(IntegrationEnvironment.Get("postfix", "SASL_MECHANISMS").Split(' '));

    private static async Task<SmtpClientSession> ConnectAsync(string portKey, TlsMode mode, SaslClientSelector? auth, bool allowCleartext = false)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IntegrationEnvironment.Get("postfix", "HOST"), IntegrationEnvironment.GetInt("postfix", portKey));
        return await SmtpClientSession.ConnectAsync(socket, (new SmtpSessionOptions { RootCertificates = Roots, Auth = auth, AuthSecurity = allowCleartext ? AuthSecurity.AllowCleartext : AuthSecurity.VerifiedTls, Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)) }) with { TlsMode = mode, EnforcePkix = true, EhloHostname = Domain.Parse("client.example.test"), RemoteHostname = Domain.Parse(IntegrationEnvironment.Get("postfix", "SERVER_NAME")) });
    }

    private static SaslClientSelector Recording(SaslClientSelector inner, List<string> chosen) => (m, tls) =>
    {
        var c = inner(m, tls);
        chosen.Add(c?.Name ?? "");
        return c;
    };

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public async Task Each_mechanism_succeeds_with_the_right_password_and_submits(string mechanism)
    {
        var chosen = new List<string>();
        await using var c = await ConnectAsync("SUBMISSION_PORT", TlsMode.RequiredStartTls, Recording(SaslMechanismChooser.Selector(SaslCredentials.WithPassword(User, Password), mechanism), chosen));
        Assert.Equal([mechanism], chosen);
        var message = Encoding.ASCII.GetBytes($"From: <{User}>\r\nTo: <rcpt1@example.test>\r\nSubject: sasl {mechanism}\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nauthenticated\r\n");
        // Relaying to another domain is allowed only after authentication.
        var responses = await c.DeliverMultipleAsync(User, ["rcpt1@example.test", "someone@elsewhere.example"], message.Length, new MemoryStream(message));
        Assert.All(responses, r => Assert.True(r.IsSuccess, r.Line));
    }

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public async Task Each_mechanism_fails_with_535_5_7_8_on_a_wrong_password(string mechanism)
    {
        var e = await Assert.ThrowsAsync<SmtpException>(() => ConnectAsync("SUBMISSION_PORT", TlsMode.RequiredStartTls,
            SaslMechanismChooser.Selector(SaslCredentials.WithPassword(User, "wrong-password"), mechanism)));
        Assert.Equal((SmtpCommand.Auth, 535, "5.7.8"), (e.Command, e.Response.Code, e.Response.EnhancedStatusCode));
        if (!mechanism.StartsWith("SCRAM", StringComparison.Ordinal))
        {
            Assert.True(e.Permanent);
        }
    }

    [Fact]
    public async Task Strongest_mechanism_is_chosen_by_default()
    {
        var chosen = new List<string>();
        await using var c = await ConnectAsync("SUBMISSION_PORT", TlsMode.RequiredStartTls, Recording(SaslMechanismChooser.Selector(SaslCredentials.WithPassword(User, Password)), chosen));
        Assert.Equal(["SCRAM-SHA-256"], chosen);
    }

    [Fact]
    public async Task Auth_offered_before_starttls_is_refused_for_cleartext_mechanisms_and_nothing_is_sent()
    {
        var e = await Assert.ThrowsAsync<SmtpException>(() => ConnectAsync("SUBMISSION_INSECURE_PORT", TlsMode.None,
            SaslMechanismChooser.Selector(SaslCredentials.WithPassword(User, Password), "PLAIN")));
        Assert.Equal((SmtpErrorReason.CleartextAuthentication, true), (e.Reason, e.Permanent));
        Assert.Equal(0, e.Response.Code);
    }

    [Fact]
    public async Task Submission_over_implicit_tls()
    {
        await using var c = await ConnectAsync("SUBMISSIONS_PORT", TlsMode.Implicit, SaslMechanismChooser.Selector(SaslCredentials.WithPassword(User, Password), "PLAIN"));
        Assert.NotNull(c.Tls);
        var message = Encoding.ASCII.GetBytes("Subject: implicit\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nhi\r\n");
        await c.DeliverAsync(User, "rcpt2@example.test", message.Length, new MemoryStream(message));
    }

    [Fact]
    public async Task Relaying_without_authentication_is_refused_permanently()
    {
        await using var c = await ConnectAsync("SUBMISSION_PORT", TlsMode.RequiredStartTls, null);
        var message = Encoding.ASCII.GetBytes("Subject: relay\r\n\r\nhi\r\n");
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(User, "someone@elsewhere.example", message.Length, new MemoryStream(message)));
        Assert.Equal((SmtpCommand.RcptTo, 554, "5.7.1", true), (e.Command, e.Response.Code, e.Response.EnhancedStatusCode, e.Permanent));
    }
}
