using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.IntegrationTests.Session;

/// <summary>The SmtpClientSession against the real Postfix of the integration environment (issue: session core).</summary>
public class PostfixDeliveryTests
{
    private static string Host => IntegrationEnvironment.Get("postfix", "HOST");
    private static string ServerName => IntegrationEnvironment.Get("postfix", "SERVER_NAME");
    private static X509Certificate2Collection Roots => [X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"))];

    private static async Task<SmtpClientSession> ConnectAsync(string portKey, TlsMode mode, bool verifyPkix, SmtpSessionOptions? options = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Host, IntegrationEnvironment.GetInt("postfix", portKey));
        options ??= new SmtpSessionOptions();
        return await SmtpClientSession.ConnectAsync(socket, (options with { RootCertificates = Roots, Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)) }) with { TlsMode = mode, EnforcePkix = verifyPkix, EhloHostname = Domain.Parse("client.example.test"), RemoteHostname = Domain.Parse(ServerName) });
    }

    /// <summary>A message with a unique marker, lines starting with dots, 8-bit text, padded to about <paramref name="size"/> bytes.</summary>
    private static (byte[] Bytes, string Marker) Message(int size = 0)
    {
        var marker = Guid.NewGuid().ToString("N");
        var sb = new StringBuilder();
        sb.Append("From: <sender@client.example.test>\r\nTo: <user@example.test>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n");
        sb.Append("Subject: test ").Append(marker).Append("\r\nMessage-ID: <").Append(marker).Append("@client.example.test>\r\nMIME-Version: 1.0\r\n");
        sb.Append("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        sb.Append(".a line starting with a dot\r\n..two dots\r\n.\r\nGrüße aus Köln, 8-bit text\r\n");
        var i = 0;
        while (sb.Length < size)
        {
            sb.Append(i++ % 5 == 0 ? ".padding line " : "padding line ").Append(i).Append(' ').Append('x', 60).Append("\r\n");
        }
        sb.Append("end\r\n");
        return (Encoding.UTF8.GetBytes(sb.ToString()), marker);
    }


    /// <summary>Postfix stores messages with LF line ends after its own headers.</summary>
    private static void AssertDeliveredIntact(byte[] submitted, byte[] delivered)
    {
        var expected = Encoding.UTF8.GetString(submitted).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.EndsWith(expected, Encoding.UTF8.GetString(delivered), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opportunistic_starttls_with_verified_pkix_delivers_the_exact_bytes()
    {
        var domain = new TlsRptResult(PolicyType.NoPolicyFound, "example.test");
        var host = new TlsRptResult(PolicyType.NoPolicyFound, ServerName);
        var (message, marker) = Message();
        await using (var c = await ConnectAsync("SMTP_PORT", TlsMode.Opportunistic, verifyPkix: true, new SmtpSessionOptions { RecipientDomainResult = domain, HostResult = host }))
        {
            Assert.NotNull(c.Tls);
            Assert.True(c.Pkix!.Verified);
            Assert.True(c.Extensions.Pipelining && c.Extensions.Size && c.Extensions.SmtpUtf8 && c.Extensions.EightBitMime && c.Extensions.EnhancedStatusCodes);
            Assert.False(c.Extensions.StartTls);
            await c.DeliverAsync("sender@client.example.test", "user@example.test", message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
            await c.CloseAsync();
        }
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("user@example.test", marker));
        Assert.Equal((1L, 0L), (domain.Summary.TotalSuccessfulSessionCount, domain.Summary.TotalFailureSessionCount));
        Assert.Empty(domain.FailureDetails);
        Assert.Equal(1, host.Summary.TotalSuccessfulSessionCount);
    }

    [Fact]
    public async Task Large_message_of_900_kilobytes_is_delivered_intact()
    {
        var (message, marker) = Message(900 * 1024);
        await using (var c = await ConnectAsync("SMTP_PORT", TlsMode.Opportunistic, verifyPkix: true))
        {
            await c.DeliverAsync("sender@client.example.test", "rcpt1@example.test", message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
        }
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("rcpt1@example.test", marker));
    }

    [Fact]
    public async Task Message_over_the_size_limit_is_refused_before_mail()
    {
        var limit = IntegrationEnvironment.GetInt("postfix", "MESSAGE_SIZE_LIMIT");
        var (message, _) = Message(limit + 1024);
        await using var c = await ConnectAsync("SMTP_PORT", TlsMode.Opportunistic, verifyPkix: true);
        Assert.Equal(limit, c.Extensions.MaxSize);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync("sender@client.example.test", "user@example.test", message.Length, new MemoryStream(message)));
        Assert.Equal((SmtpErrorReason.MessageTooLarge, true), (e.Reason, e.Permanent));
        // Nothing was sent: the session is still usable.
        Assert.False(c.IsBroken);
        await c.ResetAsync();
    }

    [Fact]
    public async Task Rejected_and_deferred_recipients_get_their_own_responses()
    {
        var (message, marker) = Message();
        IReadOnlyList<SmtpResponse> r;
        await using (var c = await ConnectAsync("SMTP_PORT", TlsMode.Opportunistic, verifyPkix: true))
        {
            r = await c.DeliverMultipleAsync("sender@client.example.test", ["rcpt2@example.test", "reject@example.test", "tempfail@example.test"],
                message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
        }
        Assert.True(r[0].IsSuccess);
        Assert.Equal((550, "5.1.1", true), (r[1].Code, r[1].EnhancedStatusCode, r[1].Permanent));
        Assert.Equal((450, "4.2.1", false), (r[2].Code, r[2].EnhancedStatusCode, r[2].Permanent));
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("rcpt2@example.test", marker));
    }

    [Fact]
    public async Task Server_requiring_tls_refuses_plaintext_permanently_with_530_5_7_0()
    {
        var (message, _) = Message();
        await using var c = await ConnectAsync("SMTP_ENCRYPT_PORT", TlsMode.None, verifyPkix: false);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync("sender@client.example.test", "user@example.test", message.Length, new MemoryStream(message)));
        Assert.Equal((SmtpErrorReason.Status, true, 530, "5.7.0", SmtpCommand.MailFrom), (e.Reason, e.Permanent, e.Response.Code, e.Response.EnhancedStatusCode, e.Command));
    }

    [Fact]
    public async Task Server_requiring_tls_accepts_opportunistic_starttls()
    {
        var (message, marker) = Message();
        await using (var c = await ConnectAsync("SMTP_ENCRYPT_PORT", TlsMode.Opportunistic, verifyPkix: true))
        {
            await c.DeliverAsync("sender@client.example.test", "rcpt3@example.test", message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
        }
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("rcpt3@example.test", marker));
    }

    [Fact]
    public async Task Server_without_starttls_fails_required_starttls_and_allows_opportunistic_plaintext()
    {
        var e = await Assert.ThrowsAsync<SmtpException>(() => ConnectAsync("SMTP_NOTLS_PORT", TlsMode.RequiredStartTls, verifyPkix: true));
        Assert.Equal((SmtpErrorReason.Tls, SmtpCommand.StartTls), (e.Reason, e.Command));
        Assert.True(e.Response.Code is 502 or 454);

        var (message, marker) = Message();
        var domain = new TlsRptResult(PolicyType.NoPolicyFound, "example.test");
        await using (var c = await ConnectAsync("SMTP_NOTLS_PORT", TlsMode.Opportunistic, verifyPkix: true, new SmtpSessionOptions { RecipientDomainResult = domain }))
        {
            Assert.Null(c.Tls);
            await c.DeliverAsync("sender@client.example.test", "user@example.test", message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
        }
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("user@example.test", marker));
        Assert.Equal("starttls-not-supported", Assert.Single(domain.FailureDetails).ResultType);
    }

    [Fact]
    public async Task Implicit_tls_delivers()
    {
        var (message, marker) = Message();
        await using (var c = await ConnectAsync("SMTPS_PORT", TlsMode.Implicit, verifyPkix: true))
        {
            Assert.NotNull(c.Tls);
            await c.DeliverAsync("sender@client.example.test", "user@example.test", message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
        }
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("user@example.test", marker));
    }

    [Fact]
    public async Task Wrong_server_name_with_enforced_pkix_fails_and_is_recorded()
    {
        var domain = new TlsRptResult(PolicyType.NoPolicyFound, "example.test");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Host, IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"));
        var e = await Assert.ThrowsAsync<SmtpException>(() => SmtpClientSession.ConnectAsync(socket, (new SmtpSessionOptions { RootCertificates = Roots, RecipientDomainResult = domain }) with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = true, EhloHostname = Domain.Parse("client.example.test"), RemoteHostname = Domain.Parse("wrong.example.test") }));
        Assert.Equal(SmtpErrorReason.Tls, e.Reason);
        Assert.Equal("certificate-host-mismatch", Assert.Single(domain.FailureDetails).ResultType);
        Assert.Equal(1, domain.Summary.TotalFailureSessionCount);
    }
}
