using System.Text;
using SmtpDeliver;

namespace SmtpDeliver.Tests.Smtp;

/// <summary>DATA dot-stuffing and line-end checks (RFC 5321 4.5.2), checklist items 98–100 and more.</summary>
public class DataWriterTests
{
    /// <summary>Returns at most <paramref name="chunk"/> bytes per read, to exercise chunk boundaries.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    private static async Task<string> WriteAsync(string message, int chunk = int.MaxValue)
    {
        var output = new MemoryStream();
        await DataWriter.WriteAsync(new ChunkedStream(Encoding.UTF8.GetBytes(message), chunk), output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Theory]
    [InlineData("", ".\r\n")]
    [InlineData(".\r\n", "..\r\n.\r\n")]
    [InlineData("header: abc\r\n\r\nmessage\r\n", "header: abc\r\n\r\nmessage\r\n.\r\n")]
    [InlineData("a\r\n.b\r\n..c\r\n", "a\r\n..b\r\n...c\r\n.\r\n")]
    public async Task Writes_dot_stuffed_data_with_end_marker(string message, string expected)
    {
        Assert.Equal(expected, await WriteAsync(message));
        Assert.Equal(expected, await WriteAsync(message, chunk: 1));
    }

    [Theory]
    [InlineData("bad", nameof(MessageDataError.MissingFinalCrlf))]
    [InlineData(".", nameof(MessageDataError.MissingFinalCrlf))]
    [InlineData("ends in cr\r", nameof(MessageDataError.MissingFinalCrlf))]
    [InlineData("bare \r is bad\r\n", nameof(MessageDataError.BareCarriageReturn))]
    [InlineData("bare \n is bad\r\n", nameof(MessageDataError.BareLineFeed))]
    [InlineData("\n.\nis bad\r\n", nameof(MessageDataError.BareLineFeed))]
    [InlineData("\r.\ris bad\r\n", nameof(MessageDataError.BareCarriageReturn))]
    [InlineData("\r\n.\ris bad\r\n", nameof(MessageDataError.BareCarriageReturn))]
    [InlineData("\r\n.\nis bad\r\n", nameof(MessageDataError.BareLineFeed))]
    [InlineData("\n.\ris bad\r\n", nameof(MessageDataError.BareLineFeed))]
    [InlineData("\n.\r\nis bad\r\n", nameof(MessageDataError.BareLineFeed))]
    public async Task Rejects_bare_cr_lf_and_missing_final_crlf(string message, string errorName)
    {
        var error = Enum.Parse<MessageDataError>(errorName);
        Assert.Equal(error, (await Assert.ThrowsAsync<MessageDataException>(() => WriteAsync(message))).Error);
        // Unlike mox, detection does not depend on how the message is chunked.
        Assert.Equal(error, (await Assert.ThrowsAsync<MessageDataException>(() => WriteAsync(message, chunk: 1))).Error);
    }

    [Fact]
    public async Task Large_message_across_chunks_round_trips()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 20000; i++)
        {
            sb.Append(i % 7 == 0 ? ".dot line " : "line ").Append(i).Append("\r\n");
        }
        var message = sb.ToString();
        var written = await WriteAsync(message, chunk: 4093);
        Assert.EndsWith("\r\n.\r\n", written, StringComparison.Ordinal);
        var unstuffed = ("\r\n" + written[..^3]).Replace("\r\n..", "\r\n.", StringComparison.Ordinal)[2..];
        Assert.Equal(message, unstuffed);
    }
}
