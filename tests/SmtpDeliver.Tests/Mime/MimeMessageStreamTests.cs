using MimeKit;
using SmtpDeliver.Mime;

namespace SmtpDeliver.Tests.Mime;

/// <summary>Issue 13: the on-demand stream of a MimeKit message: identical bytes per open, stops when disposed.</summary>
public class MimeMessageStreamTests
{
    [Fact]
    public async Task Each_open_gives_MimeKits_bytes_and_the_measured_size()
    {
        var m = MimeWire.Multipart(200_000);
        var source = MimeMessageSource.Prepare(m, envelopeNeedsSmtpUtf8: false, hideBcc: false);
        var expected = MimeWire.Serialise(m);
        await using var first = source.Open();
        await using var second = source.Open();
        // Read interleaved: two producers of the same message at once.
        var a = MimeWire.ReadAllAsync(first);
        var b = MimeWire.ReadAllAsync(second);
        Assert.Equal(expected, await a);
        Assert.Equal(expected, await b);
        Assert.Equal(expected.Length, source.Size);
        Assert.Equal(expected.Length, first.Position);
    }

    [Fact]
    public async Task Message_without_final_newline_still_ends_with_crlf()
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("a@example.org"));
        m.Body = new TextPart("plain") { Text = "no newline at the end" };
        var source = MimeMessageSource.Prepare(m, false, true);
        await using var s = source.Open();
        var bytes = await MimeWire.ReadAllAsync(s);
        Assert.True(bytes.AsSpan().EndsWith("\r\n"u8));
        Assert.Equal(source.Size, bytes.Length);
    }

    [Fact]
    public async Task Disposing_mid_stream_stops_the_producer_without_a_fault()
    {
        var source = MimeMessageSource.Prepare(MimeWire.Multipart(2 * 1024 * 1024), false, true);
        var stream = (MimeMessageStream)source.Open();
        var buffer = new byte[4096];
        Assert.True(await stream.ReadAsync(buffer) > 0);
        var producer = stream.Producer!;
        Assert.False(producer.IsCompleted); // waiting for the reader: 2 MB are not buffered
        await stream.DisposeAsync();
        Assert.True(producer.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => _ = await stream.ReadAsync(buffer));
    }

    [Fact]
    public async Task Synchronous_dispose_and_cancelled_read_also_stop_the_producer()
    {
        var source = MimeMessageSource.Prepare(MimeWire.Multipart(2 * 1024 * 1024), false, true);
        var stream = (MimeMessageStream)source.Open();
        Assert.True(await stream.ReadAsync(new byte[100]) > 0);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => _ = await stream.ReadAsync(new byte[100], cts.Token));
        var producer = stream.Producer!;
        stream.Dispose();
        // Not a timing assertion: a guard so that a producer that never stops fails instead of hanging.
        await producer.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(producer.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Streams_of_one_message_take_turns_and_preparing_it_meanwhile_is_refused()
    {
        var m = MimeWire.Multipart(1024 * 1024);
        var source = MimeMessageSource.Prepare(m, false, false);
        var first = (MimeMessageStream)source.Open();
        var second = (MimeMessageStream)source.Open();
        Assert.True(await first.ReadAsync(new byte[100]) > 0); // first is writing, paused on its full pipe
        var secondRead = second.ReadAsync(new byte[100]).AsTask();
        Assert.False(secondRead.IsCompleted); // waits for the first writer
        Assert.Throws<InvalidOperationException>(() => MimeMessageSource.Prepare(m, false, false));
        await first.DisposeAsync();
        Assert.True(await secondRead > 0);
        await second.DisposeAsync();
        Assert.Equal(source.Size, MimeMessageSource.Prepare(m, false, false).Size);
    }

    [Fact]
    public async Task Unread_stream_starts_no_producer_and_sync_read_is_refused()
    {
        var source = MimeMessageSource.Prepare(MimeWire.Multipart(10), false, true);
        var stream = (MimeMessageStream)source.Open();
        Assert.Throws<NotSupportedException>(() => stream.ReadByte());
        Assert.Null(stream.Producer);
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task Forward_only_streams_refuse_seeking_and_the_other_direction_saying_why()
    {
        var source = MimeMessageSource.Prepare(MimeWire.Multipart(10), false, true);
        var stream = (MimeMessageStream)source.Open();
        Assert.False(stream.CanSeek || stream.CanWrite);
        foreach (var refused in new Action[] { () => stream.Seek(0, SeekOrigin.Begin), () => stream.Position = 0, () => stream.SetLength(1), () => stream.Write([1], 0, 1) })
        {
            Assert.False(string.IsNullOrEmpty(Assert.Throws<NotSupportedException>(refused).Message));
        }
        await stream.DisposeAsync();

        var pipe = new System.IO.Pipelines.Pipe();
        var sink = new PipeSinkStream(pipe.Writer, long.MaxValue);
        Assert.False(sink.CanSeek || sink.CanRead);
        foreach (var refused in new Action[] { () => sink.Seek(0, SeekOrigin.Begin), () => sink.Position = 0, () => sink.SetLength(1), () => _ = sink.Read(new byte[1], 0, 1) })
        {
            Assert.False(string.IsNullOrEmpty(Assert.Throws<NotSupportedException>(refused).Message));
        }
    }

    [Fact]
    public async Task Grown_message_never_yields_more_bytes_than_measured()
    {
        var m = MimeWire.Multipart(100_000);
        var source = MimeMessageSource.Prepare(m, false, true);
        m.Subject = "a longer subject";
        await using var s = source.Open();
        var buffer = new byte[8192];
        long total = 0;
        var e = await Assert.ThrowsAsync<MimeMessageChangedException>(async () =>
        {
            int n;
            while ((n = await s.ReadAsync(buffer)) > 0)
            {
                total += n;
            }
        });
        Assert.True(total <= source.Size);
        Assert.Equal(source.Size, e.ExpectedSize);
    }
}
