using System.Text;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Testing;

/// <summary>The sink driven byte by byte: pipelined groups, BDAT framing, dot-unstuffing, STARTTLS injection, bounds.</summary>
public class SmtpSinkRawTests
{
    private static async Task<RawSmtpClient> HelloAsync(SmtpSink sink)
    {
        var c = await RawSmtpClient.ConnectAsync(sink);
        await c.ExpectAsync("220 ");
        await c.SendAsync("EHLO raw.example\r\n");
        await c.ExpectAsync("250-");
        return c;
    }

    [Fact]
    public async Task A_pipelined_group_is_one_flight_and_its_replies_come_in_order()
    {
        await using var sink = SmtpSink.Start();
        await using var c = await HelloAsync(sink);
        await c.SendAsync("MAIL FROM:<a@raw.example>\r\nRCPT TO:<b@sink.example> NOTIFY=NEVER\r\nRCPT TO:<c@sink.example>\r\nDATA\r\n");
        await c.ExpectAsync("250 2.1.0");
        await c.ExpectAsync("250 2.1.5");
        await c.ExpectAsync("250 2.1.5");
        await c.ExpectAsync("354 ");
        Assert.Equal(2, sink.Flights);
        await c.SendAsync("Subject: x\r\n\r\n..stuffed\r\n.\r\n");
        await c.ExpectAsync("250 2.6.0");
        var m = Assert.Single(sink.Messages);
        Assert.Equal("Subject: x\r\n\r\n.stuffed\r\n", m.Text);
        Assert.Equal(["NOTIFY=NEVER", ""], m.RecipientParameters);
        Assert.Equal(3, sink.Flights);
    }

    [Fact]
    public async Task Bdat_chunks_are_read_by_count_and_joined_without_unstuffing()
    {
        await using var sink = SmtpSink.Start();
        await using var c = await HelloAsync(sink);
        await c.SendAsync("MAIL FROM:<>\r\nRCPT TO:<b@sink.example>\r\nBDAT 7\r\nab\r\n.\r\nBDAT 3 LAST\r\n.x\n");
        await c.ExpectAsync("250 2.1.0");
        await c.ExpectAsync("250 2.1.5");
        Assert.Equal("250 2.0.0 7 bytes received", await c.ReadReplyAsync());
        await c.ExpectAsync("250 2.6.0");
        var m = Assert.Single(sink.Messages);
        Assert.True(m.Chunked);
        Assert.Equal("", m.MailFrom);
        Assert.Equal("ab\r\n.\r\n.x\n", m.Text);
        await c.SendAsync("NOOP\r\n");
        await c.ExpectAsync("250 ");
    }

    [Fact]
    public async Task Bdat_without_recipients_is_refused_but_its_chunk_is_consumed()
    {
        await using var sink = SmtpSink.Start();
        await using var c = await HelloAsync(sink);
        await c.SendAsync("BDAT 6 LAST\r\nNOOP\r\nNOOP\r\n");
        await c.ExpectAsync("503 ");
        await c.ExpectAsync("250 2.0.0 ok");
        Assert.Equal(0, sink.MessageCount);
    }

    [Fact]
    public async Task Commands_pipelined_past_starttls_drop_the_connection()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Certificate = TestCertificates.Server, Extensions = SmtpSinkExtensions.StartTls });
        await using var c = await HelloAsync(sink);
        await c.SendAsync("STARTTLS\r\nMAIL FROM:<injected@raw.example>\r\n");
        await c.ExpectAsync("220 ");
        Assert.Null(await c.ReadReplyAsync());
        Assert.Contains(sink.Errors, e => e is IOException);
    }

    [Fact]
    public async Task Starttls_without_the_extension_is_not_recognized()
    {
        await using var sink = SmtpSink.Start();
        await using var c = await HelloAsync(sink);
        await c.SendAsync("STARTTLS\r\n");
        await c.ExpectAsync("500 ");
    }

    [Fact]
    public async Task A_line_over_the_limit_ends_the_connection()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { MaxLineLength = 100 });
        await using var c = await HelloAsync(sink);
        await c.SendAsync("NOOP " + new string('x', 200) + "\r\n");
        Assert.Null(await c.ReadReplyAsync());
        Assert.Contains(sink.Errors, e => e is InvalidDataException);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_read_to_its_end_and_refused()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { MaxMessageSize = 10 });
        await using var c = await HelloAsync(sink);
        await c.SendAsync("MAIL FROM:<a@raw.example>\r\nRCPT TO:<b@sink.example>\r\nDATA\r\n");
        await c.ExpectAsync("250 ");
        await c.ExpectAsync("250 ");
        await c.ExpectAsync("354 ");
        await c.SendAsync("0123456789\r\n.\r\n");
        await c.ExpectAsync("552 5.3.4");
        await c.SendAsync("RSET\r\n");
        await c.ExpectAsync("250 ");
        Assert.Equal(0, sink.MessageCount);
    }

    [Fact]
    public async Task A_reply_of_empty_string_closes_the_connection_without_a_reply()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Reply = c => ValueTask.FromResult<string?>(c.Verb == "NOOP" ? "" : null) });
        await using var c = await HelloAsync(sink);
        await c.SendAsync("NOOP\r\n");
        Assert.Null(await c.ReadReplyAsync());
    }

    [Theory]
    [InlineData("user", "secret", "235 ")]
    [InlineData("user", "wrong", "535 ")]
    public async Task Auth_plain_checks_credentials_with_the_callback(string user, string password, string expected)
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Extensions = SmtpSinkExtensions.Auth, Authenticate = (u, p) => u == "user" && p == "secret" });
        await using var c = await HelloAsync(sink);
        await c.SendAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}")) + "\r\n");
        await c.ExpectAsync(expected);
    }

    [Fact]
    public async Task Ehlo_announces_the_configured_extensions_and_greeting()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Greeting = "220 custom greeting",
            HostName = "mx.example",
            Extensions = SmtpSinkExtensions.Size | SmtpSinkExtensions.Limits | SmtpSinkExtensions.Dsn,
            MaxMessageSize = 1234,
            Limits = "RCPTMAX=5",
            MoreExtensions = ["XTEST"],
        });
        await using var c = await RawSmtpClient.ConnectAsync(sink);
        Assert.Equal("220 custom greeting", await c.ReadReplyAsync());
        await c.SendAsync("EHLO raw.example\r\n");
        Assert.Equal("250-mx.example\n250-SIZE 1234\n250-DSN\n250-LIMITS RCPTMAX=5\n250 XTEST", await c.ReadReplyAsync());
        await c.SendAsync("QUIT\r\n");
        await c.ExpectAsync("221 ");
        Assert.Null(await c.ReadReplyAsync());
    }
}
