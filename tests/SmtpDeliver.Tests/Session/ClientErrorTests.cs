using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;
using SmtpDeliver;

namespace SmtpDeliver.Tests.Session;

/// <summary>The cases of mox's TestErrors: each a fixed transcript and the exact error fields.</summary>
public class ClientErrorTests
{
    private static readonly byte[] Message = "test\r\n"u8.ToArray();
    private static readonly SmtpSessionOptions Fast = new() { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(5)) };

    private static async Task<SmtpException> SetupFailsAsync(ScriptedSmtpServer server, TlsMode mode = TlsMode.Opportunistic)
    {
        var socket = await server.ConnectAsync();
        var e = await Assert.ThrowsAsync<SmtpException>(() => SmtpClientSession.ConnectAsync(socket, Fast with { TlsMode = mode, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        await server.CompletionAsync();
        return e;
    }

    private static async Task<SmtpDeliver.SmtpClientSession> ConnectAsync(ScriptedSmtpServer server, TlsMode mode = TlsMode.Opportunistic) =>
        await SmtpClientSession.ConnectAsync(await server.ConnectAsync(), Fast with { TlsMode = mode, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });

    private static Task<IReadOnlyList<SmtpResponse>> DeliverAsync(SmtpDeliver.SmtpClientSession c, params string[] rcpts) =>
        c.DeliverMultipleAsync("postmaster@mox.example", rcpts.Length == 0 ? ["mjl@mox.example"] : rcpts, Message.Length, new MemoryStream(Message));

    [Theory]
    [InlineData("bogus", SmtpErrorReason.Protocol, false)]
    [InlineData("2200 mox.example", SmtpErrorReason.Protocol, false)]
    [InlineData("421 busy", SmtpErrorReason.Status, false)]
    [InlineData("521 not accepting connections", SmtpErrorReason.Status, true)]
    public async Task Malformed_or_refusing_greeting_fails_the_setup(string greeting, SmtpErrorReason reason, bool permanent)
    {
        await using var s = ScriptedSmtpServer.Play("S: " + greeting);
        var e = await SetupFailsAsync(s);
        Assert.Equal((reason, permanent, SmtpCommand.Greeting), (e.Reason, e.Permanent, e.Command));
        if (reason == SmtpErrorReason.Status)
        {
            Assert.Equal(int.Parse(greeting[..3], System.Globalization.CultureInfo.InvariantCulture), e.Response.Code);
            Assert.Equal(greeting, e.Response.Line);
        }
    }

    [Fact]
    public async Task Server_closing_immediately_is_transient_connection_error()
    {
        await using var s = ScriptedSmtpServer.Play("close");
        var e = await SetupFailsAsync(s);
        Assert.Equal(SmtpErrorReason.Connection, e.Reason);
        Assert.False(e.Permanent);
        Assert.IsType<EndOfStreamException>(e.InnerException);
    }

    [Fact]
    public async Task Multiline_reply_with_different_codes_is_protocol_error()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 500 different code");
        var e = await SetupFailsAsync(s);
        Assert.Equal(SmtpErrorReason.Protocol, e.Reason);
        Assert.False(e.Permanent);
        Assert.Equal(0, e.Response.Code);
        Assert.Equal("250-mox.example", e.Response.Line);
        Assert.Equal(["500 different code"], e.Response.MoreLines);
    }

    [Fact]
    public async Task Mail_refused_with_enhanced_code_is_permanent()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 ENHANCEDSTATUSCODES",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 550 5.7.0 not allowed", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, true, 550, "5.7.0", SmtpCommand.MailFrom), (e.Reason, e.Permanent, e.Response.Code, e.Response.EnhancedStatusCode, e.Command));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Mail_refused_451_is_transient()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 451 bad sender", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, false, 451, ""), (e.Reason, e.Permanent, e.Response.Code, e.Response.EnhancedStatusCode));
        Assert.Equal("server sent unexpected reply to MailFrom: got 451, expected 2xx, transient: 451 bad sender", e.Message);
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Rcpt_bare_code_451_is_transient()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 ok", "C: RCPT TO:<mjl@mox.example>", "S: 451", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, false, 451, SmtpCommand.RcptTo, "451"), (e.Reason, e.Permanent, e.Response.Code, e.Command, e.Response.Line));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Data_refused_550_is_permanent()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 ok", "C: RCPT TO:<mjl@mox.example>", "S: 250 ok",
            "C: DATA", "S: 550 no!", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, true, 550, SmtpCommand.Data), (e.Reason, e.Permanent, e.Response.Code, e.Command));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Required_starttls_sent_though_not_announced_and_refusal_is_permanent_tls_error()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example", "C: STARTTLS", "S: 502 command not implemented");
        var hostResult = new SmtpDeliver.TlsRpt.TlsRptResult(SmtpDeliver.TlsRpt.PolicyType.NoPolicyFound, "mox.example");
        var socket = await s.ConnectAsync();
        var e = await Assert.ThrowsAsync<SmtpException>(() => SmtpClientSession.ConnectAsync(socket, (Fast with { HostResult = hostResult }) with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        await s.CompletionAsync();
        Assert.Equal((SmtpErrorReason.Tls, true, 502, SmtpCommand.StartTls), (e.Reason, e.Permanent, e.Response.Code, e.Command));
        Assert.Equal(1, hostResult.Summary.TotalFailureSessionCount);
        var detail = Assert.Single(hostResult.FailureDetails);
        Assert.Equal(("starttls-not-supported", "smtp-starttls-reply-code-502"), (detail.ResultType, detail.FailureReasonCode));
    }

    [Fact]
    public async Task Skip_mode_sends_no_starttls_though_announced()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 STARTTLS",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 451 enough", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s, TlsMode.None);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, false, 451), (e.Reason, e.Permanent, e.Response.Code));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Failed_transaction_is_reset_before_the_next()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 ok", "C: RCPT TO:<mjl@mox.example>", "S: 451 not now",
            "C: RSET", "S: 250 ok",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 ok", "C: RCPT TO:<mjl@mox.example>", "S: 250 ok",
            "C: DATA", "S: 550 not now", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        var e1 = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, false, 451), (e1.Reason, e1.Permanent, e1.Response.Code));
        var e2 = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, true, 550, SmtpCommand.Data), (e2.Reason, e2.Permanent, e2.Response.Code, e2.Command));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Pipelined_mail_refused_then_close_is_permanent_status_not_io()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 PIPELINING",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 550 ok", "close");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, true, 550, SmtpCommand.MailFrom), (e.Reason, e.Permanent, e.Response.Code, e.Command));
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Pipelined_rcpt_refused_then_close_reports_the_refusal_and_botches()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250-ENHANCEDSTATUSCODES", "S: 250 PIPELINING",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 2.1.0 ok", "C: RCPT TO:<mjl@mox.example>", "S: 554 5.7.0 Blocked", "close");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal((SmtpErrorReason.Status, true, 554, "5.7.0", "554 5.7.0 Blocked"), (e.Reason, e.Permanent, e.Response.Code, e.Response.EnhancedStatusCode, e.Response.Line));
        Assert.True(c.IsBroken);
        var again = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal(SmtpErrorReason.Broken, again.Reason);
        await s.CompletionAsync();
    }

    [Fact]
    public async Task All_recipients_refused_without_pipelining_sends_no_data()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 ok",
            "C: RCPT TO:<mjl@mox.example>", "S: 451 not now", "C: RCPT TO:<mjl2@mox.example>", "S: 451 not now",
            "C: QUIT", "S: 250 ok");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c, "mjl@mox.example", "mjl2@mox.example"));
        Assert.Equal((SmtpErrorReason.NoRecipients, false), (e.Reason, e.Permanent));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task All_recipients_refused_pipelined_ends_data_with_a_dot()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 PIPELINING",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 ok",
            "C: RCPT TO:<mjl@mox.example>", "S: 451 not now", "C: RCPT TO:<mjl2@mox.example>", "S: 451 not now",
            "C: DATA", "S: 354 ok", "C: .", "S: 503 no recipient",
            "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c, "mjl@mox.example", "mjl2@mox.example"));
        Assert.Equal((SmtpErrorReason.NoRecipients, false), (e.Reason, e.Permanent));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Successful_delivery_starts_next_with_mail_and_explicit_reset_sends_rset()
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example",
            "C: MAIL FROM:<postmaster@mox.example>", "S: 250 ok", "C: RCPT TO:<mjl@mox.example>", "S: 251 will forward",
            "C: DATA", "S: 354 go", "C: test", "C: .", "S: 250 queued",
            "C: MAIL FROM:<>", "S: 250 ok", "C: RCPT TO:<mjl@mox.example>", "S: 250 ok",
            "C: DATA", "S: 354 go", "C: test", "C: .", "S: 250 queued",
            "C: RSET", "S: 250 ok", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        var r = await DeliverAsync(c);
        Assert.Equal(251, Assert.Single(r).Code);
        await c.DeliverMultipleAsync("", ["mjl@mox.example"], Message.Length, new MemoryStream(Message));
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
        var close = await Assert.ThrowsAsync<SmtpException>(() => c.CloseAsync());
        Assert.Equal(SmtpErrorReason.Closed, close.Reason);
        var deliver = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c));
        Assert.Equal(SmtpErrorReason.Closed, deliver.Reason);
    }

    [Fact]
    public async Task Empty_recipient_list_is_an_argument_error()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mox.example", "C: EHLO localhost", "S: 250 mox.example", "C: QUIT", "S: 221 ok");
        await using var c = await ConnectAsync(s);
        await Assert.ThrowsAsync<ArgumentException>(() => c.DeliverMultipleAsync("a@mox.example", [], 1, new MemoryStream(Message)));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Malformed_message_botches_the_connection_transiently()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mox.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mox.example");
            await ss.ExpectPrefixAsync("MAIL FROM:");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectPrefixAsync("RCPT TO:");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("DATA");
            await ss.WriteLineAsync("354 go");
            await ss.DrainAsync();
        });
        await using var c = await ConnectAsync(s);
        var bad = Encoding.ASCII.GetBytes("bare \n is bad\r\n");
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMultipleAsync("a@mox.example", ["b@mox.example"], bad.Length, new MemoryStream(bad)));
        Assert.Equal((SmtpErrorReason.MessageData, false), (e.Reason, e.Permanent));
        Assert.Equal(MessageDataError.BareLineFeed, Assert.IsType<MessageDataException>(e.InnerException).Error);
        Assert.True(c.IsBroken);
        await c.CloseAsync();
        await s.CompletionAsync();
    }
}

/// <summary>Handing the connection to the caller (mox's Conn()).</summary>
public class ClientDetachTests
{
    [Fact]
    public async Task Detached_connection_belongs_to_the_caller_and_the_client_is_closed()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250 mx.example", "C: NOOP", "S: 250 2.0.0 ok");
        var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(5)) }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        await using var stream = c.Detach();
        await stream.WriteAsync("NOOP\r\n"u8.ToArray());
        var buffer = new byte[64];
        var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.StartsWith("250 2.0.0 ok", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
        Assert.True(c.IsBroken);
        Assert.Equal(SmtpErrorReason.Closed, (await Assert.ThrowsAsync<SmtpException>(() => c.ResetAsync())).Reason);
        await s.CompletionAsync();
    }
}
