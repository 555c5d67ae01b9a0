using System.Text;
using SmtpDeliver.Tests.Support;
using static SmtpDeliver.Tests.Session.ChunkingSupport;

namespace SmtpDeliver.Tests.Session;

/// <summary>Issue 13 item 2: BDAT (RFC 3030) pipelined with the envelope when CHUNKING and PIPELINING are announced.</summary>
public class ChunkingTests
{
    private static readonly byte[] Small = "Subject: x\r\n\r\n.dot not stuffed\r\nbody\r\n"u8.ToArray();

    [Fact]
    public async Task Small_message_goes_as_one_bdat_last_after_the_envelope_unstuffed()
    {
        byte[]? got = null;
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("PIPELINING", "CHUNKING", "8BITMIME");
            await s.ExpectAsync("MAIL FROM:<a@example.org> BODY=7BIT");
            await s.ExpectAsync("RCPT TO:<b@example.org>");
            var (data, last) = await s.ReadBdatAsync();
            Assert.True(last);
            got = data;
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 queued");
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        Assert.True(c.Extensions.Chunking);
        await c.DeliverAsync(A("a@example.org"), A("b@example.org"), Small.Length, new MemoryStream(Small));
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.Equal(Small, got);
        Assert.Contains($"C: BDAT {Small.Length} LAST", s.Transcript);
        Assert.DoesNotContain("C: DATA", s.Transcript);
    }

    [Fact]
    public async Task One_flight_per_small_message_over_a_reused_session_and_two_with_data()
    {
        var rounds = 3;
        async Task ServeAsync(ServerSession s, bool chunking)
        {
            await s.GreetAsync("PIPELINING", "CHUNKING");
            for (var i = 0; i < rounds; i++)
            {
                await s.ExpectPrefixAsync("MAIL FROM:");
                await s.ExpectPrefixAsync("RCPT TO:");
                if (chunking)
                {
                    await s.ReadBdatAsync();
                    await s.WriteLineAsync("250 ok");
                    await s.WriteLineAsync("250 ok");
                }
                else
                {
                    await s.ExpectAsync("DATA");
                    await s.WriteLineAsync("250 ok");
                    await s.WriteLineAsync("250 ok");
                    await s.WriteLineAsync("354 go");
                    await s.ReadDataAsync();
                }
                await s.WriteLineAsync("250 queued");
            }
            await s.QuitAsync();
        }
        foreach (var chunking in new[] { true, false })
        {
            await using var s = ScriptedSmtpServer.Start(x => ServeAsync(x, chunking));
            var counting = new WriteCountingStream(new System.Net.Sockets.NetworkStream(await s.ConnectAsync(), ownsSocket: true));
            await using var c = await SmtpClientSession.ConnectAsync(counting, Fast with { UseChunking = chunking });
            var before = counting.Writes;
            for (var i = 0; i < rounds; i++)
            {
                await c.DeliverAsync(A("a@example.org"), A("b@example.org"), Small.Length, new MemoryStream(Small));
            }
            Assert.Equal(chunking ? rounds : 2 * rounds, counting.Writes - before);
            await c.CloseAsync();
            await s.CompletionAsync();
        }
    }

    public static TheoryData<int, int[]> Sizes => new()
    {
        { 0, [0] },
        { 65536, [65536] },
        { 131072, [65536, 65536] },
        { 200_000, [65536, 65536, 65536, 3392] },
    };

    // The chunk with LAST is told by looking one byte ahead, also when the size is a multiple of a chunk.
    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Large_messages_go_in_64_KiB_chunks_byte_exact(int size, int[] chunks)
    {
        var message = size == 0 ? [] : Message(size);
        byte[]? got = null;
        var sizes = new List<int>();
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("PIPELINING", "CHUNKING");
            await s.ExpectPrefixAsync("MAIL FROM:");
            await s.ExpectPrefixAsync("RCPT TO:");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            got = await s.ReadChunksAsync(sizes: sizes);
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        var r = await c.DeliverMultipleAsync(A("a@example.org"), [A("b@example.org")], message.Length, new MemoryStream(message));
        Assert.True(r[0].IsSuccess);
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.Equal(chunks, sizes);
        Assert.Equal(message, got);
    }

    [Fact]
    public async Task A_wrong_message_size_does_not_change_the_chunks_sent()
    {
        var message = Message(70_000);
        byte[]? got = null;
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("PIPELINING", "CHUNKING", "SIZE 0");
            await s.ExpectAsync("MAIL FROM:<a@example.org> SIZE=10");
            await s.ExpectPrefixAsync("RCPT TO:");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            got = await s.ReadChunksAsync();
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        await c.DeliverAsync(A("a@example.org"), A("b@example.org"), 10, new MemoryStream(message));
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.Equal(message, got);
    }

    // Replies that come before the client has written what they answer: read in order, one per command.
    [Fact]
    public async Task Server_replying_before_reading_the_chunks_is_handled()
    {
        var message = Message(150_000);
        var got = new MemoryStream();
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("PIPELINING", "CHUNKING");
            await s.ExpectPrefixAsync("MAIL FROM:");
            // Every reply of the transaction before reading RCPT or any chunk.
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 queued");
            await s.ExpectPrefixAsync("RCPT TO:");
            for (var last = false; !last;)
            {
                (var data, last) = await s.ReadBdatAsync();
                got.Write(data);
            }
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        var r = await c.DeliverMultipleAsync(A("a@example.org"), [A("b@example.org")], message.Length, new MemoryStream(message));
        Assert.True(r[0].IsSuccess);
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.Equal(message, got.ToArray());
    }

    [Fact]
    public async Task Some_recipients_refused_get_their_own_responses()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("PIPELINING", "CHUNKING", "ENHANCEDSTATUSCODES");
            await s.ExpectPrefixAsync("MAIL FROM:");
            await s.ExpectAsync("RCPT TO:<r1@example.org>");
            await s.ExpectAsync("RCPT TO:<r2@example.org>");
            await s.ExpectAsync("RCPT TO:<r3@example.org>");
            await s.ReadBdatAsync();
            await s.WriteLineAsync("250 2.1.0 ok");
            await s.WriteLineAsync("250 2.1.5 ok");
            await s.WriteLineAsync("550 5.1.1 no such user");
            await s.WriteLineAsync("452 4.2.2 mailbox full");
            await s.WriteLineAsync("250 2.0.0 queued");
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        var r = await c.DeliverMultipleAsync(A("a@example.org"), [A("r1@example.org"), A("r2@example.org"), A("r3@example.org")], Small.Length, new MemoryStream(Small));
        Assert.Equal([(250, true, false), (550, false, true), (452, false, false)], r.Select(x => (x.Code, x.IsSuccess, x.Permanent)));
        Assert.Equal("5.1.1", r[1].EnhancedStatusCode);
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Chunking_without_pipelining_uses_data()
    {
        await using var s = ScriptedSmtpServer.Play([
            "S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 CHUNKING",
            "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<b@example.org>", "S: 250 ok",
            "C: DATA", "S: 354 go", "C: x", "C: .", "S: 250 queued", "C: QUIT", "S: 221 bye"]);
        await using var c = await ConnectAsync(s);
        await c.DeliverAsync(A("a@example.org"), A("b@example.org"), 3, new MemoryStream("x\r\n"u8.ToArray()));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task The_switch_off_sends_data_to_a_chunking_server()
    {
        await using var s = ScriptedSmtpServer.Play([
            "S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250-PIPELINING", "S: 250 CHUNKING",
            "C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.org>", "C: DATA", "S: 250 ok", "S: 250 ok",
            "S: 354 go", "C: x", "C: .", "S: 250 queued", "C: QUIT", "S: 221 bye"]);
        await using var c = await ConnectAsync(s, Fast with { UseChunking = false });
        await c.DeliverAsync(A("a@example.org"), A("b@example.org"), 3, new MemoryStream("x\r\n"u8.ToArray()));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    // Without BINARYMIME the lines must end in CRLF, as with DATA; a small message is checked before anything is sent.
    [Fact]
    public async Task Bare_line_feed_without_binarymime_fails_before_anything_is_sent()
    {
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("PIPELINING", "CHUNKING");
            await s.ExpectAsync("RSET");
            await s.WriteLineAsync("250 ok");
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        var bad = "a\nb\r\n"u8.ToArray();
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), bad.Length, new MemoryStream(bad)));
        Assert.Equal((SmtpErrorReason.MessageData, SmtpCommand.Bdat, false, false), (e.Reason, e.Command, e.MessageDataSent, c.IsBroken));
        await c.ResetAsync();
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.DoesNotContain(s.Transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Binarymime_message_goes_with_body_binarymime_and_any_bytes()
    {
        var binary = new byte[] { 0, 1, (byte)'\n', (byte)'\r', (byte)'.', 255, (byte)'\r', (byte)'\n', (byte)'.' };
        byte[]? got = null;
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("PIPELINING", "CHUNKING", "BINARYMIME", "8BITMIME");
            await s.ExpectAsync("MAIL FROM:<a@example.org> BODY=BINARYMIME");
            await s.ExpectAsync("RCPT TO:<b@example.org>");
            await s.WriteLineAsync("250 ok");
            await s.WriteLineAsync("250 ok");
            got = await s.ReadChunksAsync();
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s);
        await c.DeliverAsync(A("a@example.org"), A("b@example.org"), binary.Length, new MemoryStream(binary), DeliveryRequirements.BinaryMime);
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.Equal(binary, got);
    }

    // Without PIPELINING a BINARYMIME message still cannot go as DATA: BDAT, one command and one reply at a time.
    [Fact]
    public async Task Binarymime_without_pipelining_sends_bdat_in_lock_step()
    {
        var message = new byte[100_000];
        new Random(7).NextBytes(message);
        var sizes = new List<int>();
        byte[]? got = null;
        await using var s = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetAsync("CHUNKING", "BINARYMIME");
            await s.ExpectAsync("MAIL FROM:<a@example.org> BODY=BINARYMIME");
            await s.WriteLineAsync("250 ok");
            await s.ExpectAsync("RCPT TO:<b@example.org>");
            await s.WriteLineAsync("250 ok");
            got = await s.ReadChunksAsync(sizes: sizes);
            await s.QuitAsync();
        });
        await using var c = await ConnectAsync(s, Fast with { UseChunking = false });
        await c.DeliverAsync(A("a@example.org"), A("b@example.org"), message.Length, new MemoryStream(message), DeliveryRequirements.BinaryMime);
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.Equal([65536, 100_000 - 65536], sizes);
        Assert.Equal(message, got);
    }

    [Theory]
    [InlineData("250 CHUNKING")]
    [InlineData("250 BINARYMIME")]
    [InlineData("250 PIPELINING")]
    public async Task Binarymime_needs_binarymime_and_chunking_or_fails_permanently_before_sending(string extension)
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: " + extension, "C: QUIT", "S: 221 bye");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverAsync(A("a@example.org"), A("b@example.org"), 1, new MemoryStream([0]), DeliveryRequirements.BinaryMime));
        Assert.Equal((SmtpErrorReason.BinaryMimeUnsupported, true, SmtpCommand.None, false), (e.Reason, e.Permanent, e.Command, c.IsBroken));
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.DoesNotContain(s.Transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public void Small_message_helper_makes_crlf_lines()
    {
        var m = Message(1000);
        Assert.Equal(1000, m.Length);
        Assert.EndsWith("\r\n", Encoding.ASCII.GetString(m), StringComparison.Ordinal);
    }
}
