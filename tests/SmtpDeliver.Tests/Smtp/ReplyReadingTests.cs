using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SmtpDeliver;

namespace SmtpDeliver.Tests.Smtp;

/// <summary>Reply parsing (RFC 5321 4.2) and enhanced codes (RFC 3463), checklist items 1–14.</summary>
public class ReplyReadingTests
{
    private static async Task<Reply> ReadAsync(string wire, bool ecodes = false, ReplyLimits? limits = null)
    {
        using var t = new SmtpTransport(new MemoryStream(Encoding.UTF8.GetBytes(wire)), limits ?? ReplyLimits.Default, NullLogger.Instance, false);
        return await t.ReadReplyAsync(SmtpCommand.Ehlo, ecodes, TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    private static async Task<SmtpException> FailsAsync(string wire, ReplyLimits? limits = null)
    {
        using var t = new SmtpTransport(new MemoryStream(Encoding.UTF8.GetBytes(wire)), limits ?? ReplyLimits.Default, NullLogger.Instance, false);
        var e = await Assert.ThrowsAsync<SmtpException>(() => t.ReadReplyAsync(SmtpCommand.Ehlo, false, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask());
        Assert.True(t.Broken);
        Assert.False(e.Permanent);
        return e;
    }

    [Fact]
    public async Task Single_line_reply_has_code_and_text()
    {
        var r = await ReadAsync("250 ok\r\n");
        Assert.Equal((250, "250 ok", "ok"), (r.Code, r.Line, r.LastText));
    }

    [Fact]
    public async Task Code_alone_is_a_last_line() => Assert.Equal(451, (await ReadAsync("451\r\n")).Code);

    [Theory]
    [InlineData("2200 mox.example\r\n")]
    [InlineData("bogus\r\n")]
    [InlineData("25 x\r\n")]
    [InlineData("250x\r\n")]
    public async Task Malformed_code_or_separator_is_a_protocol_error(string wire) =>
        Assert.Equal(SmtpErrorReason.Protocol, (await FailsAsync(wire)).Reason);

    [Fact]
    public async Task Multiline_reply_keeps_raw_lines_and_last_code_and_secode()
    {
        var r = await ReadAsync("550-5.7.1 first\r\n550-second\r\n550 5.7.1 last\r\n", ecodes: true);
        Assert.Equal("550-5.7.1 first", r.Line);
        Assert.Equal(["550-second", "550 5.7.1 last"], r.MoreLines);
        Assert.Equal(("5.7.1", "last"), (r.EnhancedStatusCode, r.LastText));
    }

    [Fact]
    public async Task Multiline_with_different_codes_is_a_protocol_error()
    {
        var e = await FailsAsync("250-a\r\n500 b\r\n");
        Assert.Equal((SmtpErrorReason.Protocol, 0), (e.Reason, e.Response.Code));
    }

    [Fact]
    public async Task Lf_only_line_ends_are_accepted() => Assert.Equal("250 ok", (await ReadAsync("250 ok\n")).Line);

    [Fact]
    public async Task Line_of_2047_bytes_is_accepted_and_2048_without_lf_is_too_long()
    {
        var ok = "250 " + new string('a', 2047 - 5) + "\r\n";
        Assert.Equal(250, (await ReadAsync(ok)).Code);
        var tooLong = "250 " + new string('a', 2100);
        Assert.Equal(SmtpErrorReason.ReplyTooLong, (await FailsAsync(tooLong)).Reason);
    }

    [Fact]
    public async Task Eof_before_line_end_is_a_connection_error()
    {
        var e = await FailsAsync("250 ok");
        Assert.Equal(SmtpErrorReason.Connection, e.Reason);
        Assert.IsType<EndOfStreamException>(e.InnerException);
    }

    [Fact]
    public async Task Reply_with_too_many_lines_is_cut_off()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            sb.Append("250-line\r\n");
        }
        var e = await FailsAsync(sb.ToString(), new ReplyLimits { MaxLinesPerReply = 256 });
        Assert.Equal(SmtpErrorReason.ReplyTooLong, e.Reason);
    }

    [Theory]
    [InlineData(550, "5.7.0 not allowed", "5.7.0", "not allowed")]
    [InlineData(550, "4.7.0 x", "", "4.7.0 x")]
    [InlineData(250, "2.10.100 x", "2.10.100", "x")]
    [InlineData(250, "2.1.0ok", "2.1.0", "ok")]
    [InlineData(250, "2.1. x", "", "2.1. x")]
    [InlineData(250, "maybe", "", "maybe")]
    [InlineData(250, "", "", "")]
    public void Enhanced_code_parsing(int code, string text, string secode, string rest)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(secode, ReplyLine.ParseEnhancedCode(code / 100, bytes, out var offset));
        Assert.Equal(rest, text[offset..]);
    }

    [Fact]
    public async Task Enhanced_codes_are_ignored_unless_requested()
    {
        Assert.Equal("", (await ReadAsync("550 5.7.0 not allowed\r\n")).EnhancedStatusCode);
        Assert.Equal("5.7.0", (await ReadAsync("550 5.7.0 not allowed\r\n", ecodes: true)).EnhancedStatusCode);
    }

    [Fact]
    public async Task Repeated_reply_lines_share_one_string_and_lines_of_equal_length_stay_distinct()
    {
        // The transport reuses the string of a recent identical line (no allocation per repeated reply); a line of
        // the same length with other bytes, or with non-ASCII text, must never be taken for it.
        const string wire = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.0 Ok\r\n250 2.1.0 \u00d6k\r\n250 2.1.0 \u00d6k\r\n334 dGVzdA==\r\n";
        using var t = new SmtpTransport(new MemoryStream(Encoding.UTF8.GetBytes(wire)), ReplyLimits.Default, NullLogger.Instance, false);
        var replies = new List<Reply>();
        for (var i = 0; i < 6; i++)
        {
            replies.Add(await t.ReadReplyAsync(SmtpCommand.RcptTo, true, TimeSpan.FromSeconds(5), CancellationToken.None));
        }
        Assert.Equal(["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.0 Ok", "250 2.1.0 \u00d6k", "250 2.1.0 \u00d6k", "334 dGVzdA=="], replies.Select(r => r.Line));
        Assert.Same(replies[0].Line, replies[2].Line);
        Assert.NotSame(replies[0].Line, replies[1].Line);
        Assert.Equal(["2.1.0", "2.1.5", "2.1.0", "2.1.0", "2.1.0", ""], replies.Select(r => r.EnhancedStatusCode));
        Assert.Equal(["Ok", "Ok", "Ok", "\u00d6k", "\u00d6k", "dGVzdA=="], replies.Select(r => r.LastText));
    }
}
