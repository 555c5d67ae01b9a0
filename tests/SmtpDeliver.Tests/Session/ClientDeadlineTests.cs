using Microsoft.Extensions.Time.Testing;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>Issue 11 item 9: one deadline per reply and per DATA phase, not per read or per write.</summary>
public class ClientDeadlineTests
{
    // Failed before the fix: every byte came within the 1 s read timeout, so the 6 s greeting was accepted.
    [Fact]
    public async Task A_reply_trickled_byte_by_byte_gets_one_deadline_for_all_of_it()
    {
        await using var s = ScriptedSmtpServer.Start(ss => ss.TrickleAsync("220 mx.example a greeting sent one byte at a time\r\n", TimeSpan.FromMilliseconds(120)));
        var connect = SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) with { Greeting = TimeSpan.FromSeconds(1) } }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await connect.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal((SmtpErrorReason.Timeout, SmtpCommand.Greeting), (e.Reason, e.Command));
    }

    // Failed before the fix: each write finished within its own 2 s, so a server taking 1 MB/s held the
    // session for the whole 32 MB (over 25 s) although the minimum rate asks for 16 MB/s (a 4 s bound).
    [Fact]
    public async Task A_slow_reader_cannot_stretch_the_data_phase_beyond_its_size_bound()
    {
        var message = new byte[32_000_000];
        for (var i = 0; i < message.Length; i += 100)
        {
            message.AsSpan(i, Math.Min(100, message.Length - i)).Fill((byte)'a');
            if (i + 100 <= message.Length)
            {
                message[i + 98] = (byte)'\r';
                message[i + 99] = (byte)'\n';
            }
        }
        long received = 0;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx.example");
            await ss.ExpectPrefixAsync("MAIL FROM:");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectPrefixAsync("RCPT TO:");
            await ss.WriteLineAsync("250 ok");
            await ss.ExpectAsync("DATA");
            await ss.WriteLineAsync("354 go");
            received = await ss.ReadSlowlyAsync(512 * 1024, TimeSpan.FromMilliseconds(500));
        });
        var timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) with { DataBlock = TimeSpan.FromSeconds(2), MinimumDataRate = 16_000_000 };
        var socket = await s.ConnectAsync();
        // Small kernel buffers, so what the server reads tracks what the client sent before the bound.
        socket.SendBufferSize = 256 * 1024;
        await using var client = await SmtpClientSession.ConnectAsync(socket, (new SmtpSessionOptions { Timeouts = timeouts }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var e = await Assert.ThrowsAsync<SmtpException>(async () =>
            await client.DeliverAsync("a@example.org", "b@example.org", message.Length, new MemoryStream(message)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((SmtpErrorReason.Timeout, SmtpCommand.Data, false), (e.Reason, e.Command, e.MessageDataSent));
        Assert.True(client.IsBroken);
        await client.DisposeAsync();
        await s.CompletionAsync(30000);
        // The server reads 1 MB/s: cut at the 4 s bound it has about 4 MB plus what the kernel buffered; before
        // the fix it read 18 MB and more (the session went on until one write happened to stall for 2 s).
        Assert.True(received < 16_000_000, $"the server read {received} of {message.Length} bytes");
    }

    [Fact]
    public void Data_phase_bound_grows_with_the_size_and_can_be_turned_off()
    {
        var t = SmtpTimeouts.Default;
        Assert.Equal(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(256), t.DataPhase(1024 * 1024));
        Assert.Equal(Timeout.InfiniteTimeSpan, (t with { MinimumDataRate = 0 }).DataPhase(1024 * 1024));
        // Review of issue 11: these overflowed (OverflowException after the 354, session left unbroken).
        Assert.Equal(Timeout.InfiniteTimeSpan, t.DataPhase(long.MaxValue));
        Assert.Equal(Timeout.InfiniteTimeSpan, (t with { DataBlock = TimeSpan.MaxValue }).DataPhase(10));
    }

    // Review of issue 11: timeouts beyond a timer's range threw ArgumentOutOfRangeException from CancelAfter.
    [Fact]
    public async Task Huge_timeouts_and_sizes_mean_no_deadline_rather_than_an_exception()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx.example");
            await ss.ServeTransactionAsync();
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        var huge = SmtpTimeouts.All(TimeSpan.FromDays(400)) with { Quit = TimeSpan.FromDays(400) };
        await using var client = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Timeouts = huge, SessionTimeout = TimeSpan.MaxValue }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        await client.DeliverAsync("a@example.org", "b@example.org", long.MaxValue, new MemoryStream("x\r\n"u8.ToArray()));
        await client.CloseAsync();
        await s.CompletionAsync();
    }

    // Issue 12: driven by a fake clock, no waiting: the session's 3 minutes end before the MAIL reply's 30.
    [Fact]
    public async Task Session_timeout_caps_every_step()
    {
        var clock = new FakeTimeProvider();
        var mailSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.TrickleAsync("250 mx.example\r\n", TimeSpan.FromMilliseconds(20));
            await ss.ExpectAsync("MAIL FROM:<a@example.org>");
            mailSeen.SetResult();
            // Never answers.
            await ss.ReadLineAsync();
        });
        await using var client = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Timeouts = SmtpTimeouts.All(TimeSpan.FromMinutes(30)), SessionTimeout = TimeSpan.FromMinutes(3), TimeProvider = clock }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var deliver = client.DeliverAsync("a@example.org", "b@example.org", 3, new MemoryStream("x\r\n"u8.ToArray()));
        await mailSeen.Task.WaitAsync(TimeSpan.FromSeconds(20));
        clock.Advance(TimeSpan.FromMinutes(3));
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await deliver.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(SmtpErrorReason.Timeout, e.Reason);
        Assert.Contains("session deadline", e.Message, StringComparison.Ordinal);
    }
}
