using SmtpDeliver.Tests.Support;
using static SmtpDeliver.Tests.Session.ChunkingSupport;

namespace SmtpDeliver.Tests.Session;

/// <summary>
/// Issue 13 item 2: per-recipient results and the message's fate are exact whatever fails in a pipelined BDAT
/// transaction (RFC 3030 2): refused MAIL, RCPT or chunk, and a server that goes away mid-chunk or after the last.
/// </summary>
public class ChunkingFailureTests
{
    private static readonly byte[] Small = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();

    private static async Task EnvelopeAsync(ServerSession s, int recipients)
    {
        await s.GreetAsync("PIPELINING", "CHUNKING", "ENHANCEDSTATUSCODES");
        await s.ExpectPrefixAsync("MAIL FROM:");
        for (var i = 0; i < recipients; i++)
        {
            await s.ExpectPrefixAsync("RCPT TO:");
        }
    }

    // After the failed transaction the client is still in step: the next operation is RSET, then QUIT.
    private static async Task ResetAndQuitAsync(ServerSession s)
    {
        await s.ExpectAsync("RSET");
        await s.WriteLineAsync("250 ok");
        await s.QuitAsync();
    }

    [Fact]
    public async Task All_recipients_refused_reports_their_refusals_though_the_data_went_out()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 2);
            await s.ReadBdatAsync();
            await s.WriteLineAsync("250 2.1.0 ok");
            await s.WriteLineAsync("550 5.1.1 no such user");
            await s.WriteLineAsync("450 4.2.1 try later");
            await s.WriteLineAsync("554 5.5.1 no valid recipients");
            await ResetAndQuitAsync(s);
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMultipleAsync(A("a@example.org"), [A("r1@example.org"), A("r2@example.org")], Small.Length, new MemoryStream(Small)));
        Assert.Equal((SmtpErrorReason.NoRecipients, SmtpCommand.RcptTo, false, false, false), (e.Reason, e.Command, e.MessageDataSent, e.DeliveryUncertain, c.IsBroken));
        Assert.Equal([(550, true), (450, false)], e.RecipientResponses.Select(r => (r.Code, r.Permanent)));
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Single_recipient_refused_keeps_its_code()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 1);
            await s.ReadBdatAsync();
            await s.WriteLineAsync("250 2.1.0 ok");
            await s.WriteLineAsync("550 5.1.1 no such user");
            await s.WriteLineAsync("503 5.5.1 no recipients");
            await ResetAndQuitAsync(s);
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), Small.Length, new MemoryStream(Small)));
        Assert.Equal((SmtpErrorReason.Status, SmtpCommand.RcptTo, 550, true, false), (e.Reason, e.Command, e.Response.Code, e.Permanent, e.MessageDataSent));
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task All_recipients_refused_then_closing_still_reports_the_refusals()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 2);
            await s.ReadBdatAsync();
            await s.WriteLineAsync("250 2.1.0 ok");
            await s.WriteLineAsync("550 5.1.1 no such user");
            await s.WriteLineAsync("550 5.1.1 no such user");
            s.Close();
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMultipleAsync(A("a@example.org"), [A("r1@example.org"), A("r2@example.org")], Small.Length, new MemoryStream(Small)));
        Assert.Equal((SmtpErrorReason.NoRecipients, false, false), (e.Reason, e.MessageDataSent, e.DeliveryUncertain));
        Assert.Equal([550, 550], e.RecipientResponses.Select(r => r.Code));
        Assert.True(c.IsBroken);
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Mail_refused_is_reported_and_the_session_stays_in_step()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 1);
            await s.ReadBdatAsync();
            await s.WriteLineAsync("550 5.7.1 sender refused");
            await s.WriteLineAsync("503 5.5.1 need mail");
            await s.WriteLineAsync("503 5.5.1 need mail");
            await ResetAndQuitAsync(s);
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), Small.Length, new MemoryStream(Small)));
        Assert.Equal((SmtpErrorReason.Status, SmtpCommand.MailFrom, 550, true, false), (e.Reason, e.Command, e.Response.Code, e.Permanent, c.IsBroken));
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Theory]
    [InlineData("552 5.3.4 too big", true)]
    [InlineData("451 4.3.0 try later", false)]
    public async Task Refused_last_chunk_is_a_definite_answer(string reply, bool permanent)
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 1);
            await s.ReadBdatAsync();
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync(reply);
            await ResetAndQuitAsync(s);
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), Small.Length, new MemoryStream(Small)));
        Assert.Equal((SmtpErrorReason.Status, SmtpCommand.Bdat, permanent, true, false, false), (e.Reason, e.Command, e.Permanent, e.MessageDataSent, e.DeliveryUncertain, c.IsBroken));
        Assert.Equal(250, Assert.Single(e.RecipientResponses).Code);
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    // RFC 3030 2: no chunk after a refused one. The client may already have written some (pipelining); it reads one
    // reply for each, says whether the last was among them, and stays in step.
    [Theory]
    [InlineData("552 5.3.4 too big", true)]
    [InlineData("452 4.3.1 out of space", false)]
    public async Task Refused_middle_chunk_stops_the_chunks_and_is_a_definite_answer(string reply, bool permanent)
    {
        var sawLast = false;
        var chunks = 0;
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 1);
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            while (true)
            {
                var line = await s.ReadLineAsync();
                if (line == "RSET")
                {
                    await s.WriteLineAsync("250 ok");
                    break;
                }
                var size = int.Parse(line!.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                await s.ReadExactAsync(size);
                sawLast |= line.EndsWith(" LAST", StringComparison.Ordinal);
                await s.WriteLineAsync(chunks++ == 0 ? reply : "554 5.5.0 transaction failed");
                if (chunks == 1)
                {
                    // Not a timing assertion: lets the client read the refusal while its writes are blocked on full
                    // buffers, so it surely stops long before the end of 32 MiB.
                    await Task.Delay(200);
                }
            }
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        // 32 MiB: far more than the socket buffers hold, so the client sees the refusal before it has written all.
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), 32 << 20, new GeneratedMessageStream(32 << 20)));
        Assert.Equal((SmtpErrorReason.Status, SmtpCommand.Bdat, permanent, false, false), (e.Reason, e.Command, e.Permanent, e.DeliveryUncertain, c.IsBroken));
        Assert.Equal(reply[..3], e.Response.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.Equal(sawLast, e.MessageDataSent);
        Assert.False(sawLast);
        Assert.True(chunks < 512);
    }

    [Fact]
    public async Task Server_closing_mid_chunk_is_transient_and_not_sent()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 1);
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.ExpectAsync("BDAT 65536");
            await s.ReadExactAsync(1000);
            s.Close();
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), 16 << 20, new GeneratedMessageStream(16 << 20)));
        Assert.Equal((SmtpErrorReason.Connection, SmtpCommand.Bdat, false, false, false), (e.Reason, e.Command, e.Permanent, e.MessageDataSent, e.DeliveryUncertain));
        Assert.True(c.IsBroken);
        await s.CompletionAsync();
    }

    // As with DATA: the whole message went out and no verdict came, so the server may have taken it.
    [Fact]
    public async Task Server_closing_after_the_whole_last_chunk_without_a_reply_is_uncertain()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 2);
            var (data, last) = await s.ReadBdatAsync();
            Assert.True(last && data.Length == Small.Length);
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("550 no");
            s.Close();
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMultipleAsync(A("a@example.org"), [A("r1@example.org"), A("r2@example.org")], Small.Length, new MemoryStream(Small)));
        Assert.Equal((SmtpErrorReason.Connection, SmtpCommand.Bdat, false, true, true), (e.Reason, e.Command, e.Permanent, e.MessageDataSent, e.DeliveryUncertain));
        Assert.Equal([250, 550], e.RecipientResponses.Select(r => r.Code));
        Assert.True(c.IsBroken);
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Server_closing_after_a_multi_chunk_message_without_the_last_reply_is_uncertain()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 1);
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            for (var last = false; !last;)
            {
                (_, last) = await s.ReadBdatAsync();
                if (!last)
                {
                    await s.WriteLineAsync("250 more");
                }
            }
            s.Close();
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), 300_000, new GeneratedMessageStream(300_032)));
        Assert.Equal((SmtpCommand.Bdat, true, true), (e.Command, e.MessageDataSent, e.DeliveryUncertain));
        await s.CompletionAsync();
    }

    // A chunk the stream cannot fill is never half written: the chunks before it are whole, so the session stays in step.
    [Fact]
    public async Task Message_error_in_a_later_chunk_leaves_the_session_in_step()
    {
        var bad = new byte[70_000];
        Message(70_000).CopyTo(bad, 0);
        bad[68_000] = (byte)'\n';
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await EnvelopeAsync(s, 1);
            var (data, last) = await s.ReadBdatAsync();
            Assert.False(last);
            Assert.Equal(65536, data.Length);
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 chunk ok");
            await ResetAndQuitAsync(s);
        });
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), bad.Length, new MemoryStream(bad)));
        Assert.Equal((SmtpErrorReason.MessageData, SmtpCommand.Bdat, false, false), (e.Reason, e.Command, e.MessageDataSent, c.IsBroken));
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
    }
}
