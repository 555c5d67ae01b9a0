using MimeKit;
using SmtpDeliver.Mime;

namespace SmtpDeliver.Tests.Mime;

/// <summary>
/// Issue 13: over pipelined BDAT a MimeKit message is written once, straight into the chunks. Its SIZE and BODY
/// come from the first chunk when it holds the whole message; a larger one goes without SIZE, with BODY=8BITMIME
/// when offered, and an 8-bit octet past the first chunk stops it before LAST when 8BITMIME is not offered.
/// </summary>
public class MimeUnmeasuredBdatTests
{
    private static async Task GreetAsync(ServerSession ss, params string[] extensions)
    {
        await ss.WriteLineAsync("220 mx.example");
        await ss.ExpectAsync("EHLO localhost");
        // SIZE 100000000 unless the test gives its own.
        string[] size = extensions.Any(e => e.StartsWith("SIZE", StringComparison.Ordinal)) ? [] : ["SIZE 100000000"];
        string[] all = ["mx.example", "PIPELINING", "CHUNKING", .. size, .. extensions];
        for (var i = 0; i < all.Length; i++)
        {
            await ss.WriteLineAsync((i == all.Length - 1 ? "250 " : "250-") + all[i]);
        }
    }

    private static MimeMessage Text(int lines, string? eightBitLine = null)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("a@example.org"));
        m.To.Add(MailboxAddress.Parse("b@example.org"));
        m.Subject = "chunks";
        var body = new System.Text.StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            body.Append("line ").Append(i).Append(' ').Append('x', 60).Append('\n');
        }
        if (eightBitLine is not null)
        {
            body.Append(eightBitLine).Append('\n');
        }
        // 8bit as the part's encoding, so MimeKit writes the octets as they are.
        m.Body = new TextPart("plain") { Text = body.ToString(), ContentTransferEncoding = eightBitLine is null ? ContentEncoding.SevenBit : ContentEncoding.EightBit };
        return m;
    }

    /// <summary>Reads BDAT chunks (answering each with 250) until the one with LAST; returns the joined data.</summary>
    private static async Task<(byte[] Data, List<string> Commands)> ReadChunksAsync(ServerSession ss)
    {
        var data = new MemoryStream();
        var commands = new List<string>();
        while (true)
        {
            var line = await ss.ReadLineAsync() ?? throw new InvalidOperationException("connection closed");
            commands.Add(line);
            var parts = line.Split(' ');
            Assert.Equal("BDAT", parts[0]);
            data.Write(await ss.ReadExactAsync(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
            await ss.WriteLineAsync("250 chunk");
            if (parts.Length == 3 && parts[2] == "LAST")
            {
                return (data.ToArray(), commands);
            }
        }
    }

    /// <summary>
    /// Delivers <paramref name="m"/> over a server offering PIPELINING, CHUNKING, SIZE and 8BITMIME that expects
    /// <paramref name="mail"/> as the MAIL line; returns the data received and the BDAT lines.
    /// </summary>
    private static async Task<(byte[] Data, List<string> Commands)> DeliverAsync(MimeMessage m, string mail, MimeDeliveryOptions? options = null)
    {
        byte[]? received = null;
        List<string>? commands = null;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, "8BITMIME");
            await ss.ExpectAsync(mail);
            await ss.ExpectAsync("RCPT TO:<b@example.org>");
            await ss.WriteLineAsync("250 ok");
            await ss.WriteLineAsync("250 ok");
            (received, commands) = await ReadChunksAsync(ss);
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        await using (var c = await MimeWire.ConnectAsync(s))
        {
            var r = await c.DeliverMessageAsync(m, options);
            Assert.True(r.Single().IsSuccess);
            await c.CloseAsync();
        }
        await s.CompletionAsync();
        return (received!, commands!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Message_of_one_chunk_gets_its_exact_size_and_body_from_that_chunk(bool eightBit)
    {
        var m = Text(100, eightBit ? "Grüße" : null);
        var expected = MimeWire.Serialise(m);
        Assert.True(expected.Length < BdatWriter.ChunkSize);
        var (received, commands) = await DeliverAsync(m, $"MAIL FROM:<a@example.org> SIZE={expected.Length} BODY={(eightBit ? "8BITMIME" : "7BIT")}");
        Assert.Equal([$"BDAT {expected.Length} LAST"], commands);
        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task Larger_message_goes_in_chunks_without_size_and_with_8bitmime_when_offered()
    {
        var m = Text(3000);
        var expected = MimeWire.Serialise(m);
        Assert.True(expected.Length > 2 * BdatWriter.ChunkSize);
        // RFC 1870 6: SIZE is optional; the rest of the message was unseen, so BODY=8BITMIME (valid for 7-bit).
        var (received, commands) = await DeliverAsync(m, "MAIL FROM:<a@example.org> BODY=8BITMIME");
        Assert.Equal(expected, received);
        Assert.Equal($"BDAT {BdatWriter.ChunkSize}", commands[0]);
        Assert.Equal($"BDAT {expected.Length % BdatWriter.ChunkSize} LAST", commands[^1]);
    }

    [Fact]
    public async Task Measure_first_gives_the_larger_message_its_exact_size()
    {
        var m = Text(3000);
        var expected = MimeWire.Serialise(m);
        var (received, _) = await DeliverAsync(m, $"MAIL FROM:<a@example.org> SIZE={expected.Length} BODY=7BIT", new MimeDeliveryOptions { MeasureFirst = true });
        Assert.Equal(expected, received);
    }

    /// <summary>
    /// A transaction the client stops midway: the server (with <paramref name="extensions"/>) expects
    /// <paramref name="mail"/>, answers every chunk, and then RSET; returns the client's error and the lines after RCPT.
    /// </summary>
    private static async Task<(SmtpException Error, List<string> Commands)> StoppedAsync(MimeMessage m, string mail, params string[] extensions)
    {
        var commands = new List<string>();
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, extensions);
            await ss.ExpectAsync(mail);
            await ss.ExpectAsync("RCPT TO:<b@example.org>");
            await ss.WriteLineAsync("250 ok");
            await ss.WriteLineAsync("250 ok");
            while (true)
            {
                var line = await ss.ReadLineAsync() ?? throw new InvalidOperationException("connection closed");
                commands.Add(line);
                if (!line.StartsWith("BDAT ", StringComparison.Ordinal))
                {
                    break;
                }
                await ss.ReadExactAsync(int.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
                await ss.WriteLineAsync("250 chunk");
            }
            await ss.WriteLineAsync("250 reset");
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        SmtpException e;
        await using (var c = await MimeWire.ConnectAsync(s))
        {
            e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMessageAsync(m));
            Assert.False(c.IsBroken);
            await c.ResetAsync();
            await c.CloseAsync();
        }
        await s.CompletionAsync();
        return (e, commands);
    }

    [Fact]
    public async Task Eight_bit_octet_after_the_first_chunk_without_8bitmime_stops_before_last_and_the_session_goes_on()
    {
        // 3,000 lines of 7-bit text, then one 8-bit line: the first chunk is all 7-bit, so the transaction starts
        // without BODY (the server offers no 8BITMIME); the 8-bit chunk must never be sent, nor any LAST, and the
        // unfinished transaction is dropped with RSET before anything else.
        var (e, commands) = await StoppedAsync(Text(3000, "Grüße"), "MAIL FROM:<a@example.org>");
        Assert.Equal((SmtpErrorReason.EightBitMimeUnsupported, true, false, false), (e.Reason, e.Permanent, e.DeliveryUncertain, e.MessageDataSent));
        Assert.DoesNotContain(commands, l => l.EndsWith(" LAST", StringComparison.Ordinal));
        Assert.Equal($"BDAT {BdatWriter.ChunkSize}", commands[0]);
        Assert.Equal("RSET", commands[^1]);
    }

    [Fact]
    public async Task Larger_message_over_a_size_limit_below_one_chunk_is_refused_before_mail()
    {
        // RFC 1870: the first chunk alone passes the announced limit, so nothing is sent (as with a measured size).
        var m = Text(3000);
        var sawMail = false;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await GreetAsync(ss, "8BITMIME", "SIZE 10000");
            var line = await ss.ReadLineAsync();
            sawMail = line?.StartsWith("MAIL", StringComparison.Ordinal) == true;
            if (line == "QUIT")
            {
                await ss.WriteLineAsync("221 bye");
            }
        });
        await using (var c = await MimeWire.ConnectAsync(s))
        {
            var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMessageAsync(m));
            Assert.Equal((SmtpErrorReason.MessageTooLarge, true, false), (e.Reason, e.Permanent, e.MessageDataSent));
            await c.CloseAsync();
        }
        await s.CompletionAsync();
        Assert.False(sawMail);
    }

    [Fact]
    public async Task Larger_message_that_passes_the_size_limit_midway_stops_before_the_chunk_that_would_pass_it()
    {
        var (e, commands) = await StoppedAsync(Text(3000), "MAIL FROM:<a@example.org> BODY=8BITMIME", "8BITMIME", "SIZE 100000");
        Assert.Equal((SmtpErrorReason.MessageTooLarge, true, false, false), (e.Reason, e.Permanent, e.MessageDataSent, e.DeliveryUncertain));
        // One 64 KiB chunk fits under 100,000 bytes, a second would not: it is never sent, nor any LAST.
        Assert.Equal([$"BDAT {BdatWriter.ChunkSize}", "RSET"], commands);
    }
}
