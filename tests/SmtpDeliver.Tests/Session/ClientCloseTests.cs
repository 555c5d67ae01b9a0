using System.Net.Security;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>Issue 11 item 11: clean ends.</summary>
public class ClientCloseTests
{
    private static readonly SmtpSessionOptions Fast = new() { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) };

    // Failed before the fix: the cancelled QUIT write threw before the socket was closed, so the server's
    // read waited for its own timeout instead of seeing the end of the connection.
    [Fact]
    public async Task Close_with_a_cancelled_token_still_closes_the_connection()
    {
        var sawEnd = false;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx.example");
            ss.ReadTimeout = TimeSpan.FromSeconds(5);
            sawEnd = await ss.ReadLineAsync() is null;
        });
        var client = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CloseAsync(new CancellationToken(canceled: true)));
        await s.CompletionAsync();
        Assert.True(sawEnd);
        Assert.True(client.IsBroken);
    }

    // Failed before the fix: only the raw socket and the deadline wrapper were disposed, never the SslStream.
    [Fact]
    public async Task Close_disposes_the_tls_stream()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteLineAsync("220 go");
            await ss.StartTlsAsync(TestCertificates.Server);
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mox.example");
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        var client = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var ssl = Assert.IsType<SslStream>(client.ConnectionStream);
        await client.CloseAsync();
        await s.CompletionAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ssl.WriteAsync(new byte[1]));
    }

    // Failed before the fix: after a refused EHLO the client closed without QUIT (RFC 5321 4.1.1.10 SHOULD).
    [Fact]
    public async Task Quit_after_a_refused_setup_while_the_session_is_in_step()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 550 5.7.1 not you", "C: QUIT", "S: 221 bye");
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        Assert.Equal(550, e.Response.Code);
        await s.CompletionAsync();
        Assert.Equal("C: QUIT", s.Transcript[^2]);
    }

    [Fact]
    public async Task No_quit_after_a_421()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 421 4.3.2 closing", "close");
        await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        await s.CompletionAsync();
        Assert.DoesNotContain("C: QUIT", s.Transcript);
    }

    // Failed before the fix: Close and Detach ran alongside a delivery in progress.
    [Fact]
    public async Task Close_and_detach_wait_their_turn()
    {
        var release = new TaskCompletionSource();
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx.example");
            await ss.ServeTransactionAsync(beforeMailReply: () => release.Task.WaitAsync(TimeSpan.FromSeconds(10)));
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        var client = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var delivery = client.DeliverAsync("a@example.org", "b@example.org", 3, new MemoryStream("x\r\n"u8.ToArray()));
        await Task.Delay(100);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.CloseAsync());
        Assert.Throws<InvalidOperationException>(() => client.Detach());
        release.SetResult();
        await delivery;
        await client.CloseAsync();
        await s.CompletionAsync();
    }
}
