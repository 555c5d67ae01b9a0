using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Names;

namespace SmtpDeliver.IntegrationTests.Session;

/// <summary>Issue 13 item 2: BDAT (RFC 3030) pipelined with the envelope, against the real Postfix, which announces CHUNKING.</summary>
public class PostfixChunkingTests
{
    private static string Host => IntegrationEnvironment.Get("postfix", "HOST");
    private static string ServerName => IntegrationEnvironment.Get("postfix", "SERVER_NAME");
    private static X509Certificate2Collection Roots => [X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"))];

    private static async Task<SmtpClientSession> ConnectAsync(ILogger logger)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Host, IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"));
        return await SmtpClientSession.ConnectAsync(socket, new SmtpSessionOptions
        {
            RootCertificates = Roots,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
            TlsMode = TlsMode.Opportunistic,
            EnforcePkix = true,
            EhloHostname = Domain.Parse("client.example.test"),
            RemoteHostname = Domain.Parse(ServerName),
            Logger = logger,
        });
    }

    /// <summary>A message with a unique marker, dot lines (never stuffed with BDAT) and 8-bit text, padded to <paramref name="size"/> bytes or more.</summary>
    private static (byte[] Bytes, string Marker) Message(int size)
    {
        var marker = Guid.NewGuid().ToString("N");
        var sb = new StringBuilder();
        sb.Append("From: <sender@client.example.test>\r\nTo: <user@example.test>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n");
        sb.Append("Subject: chunking ").Append(marker).Append("\r\nMessage-ID: <").Append(marker).Append("@client.example.test>\r\nMIME-Version: 1.0\r\n");
        sb.Append("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        sb.Append(".a line starting with a dot\r\n..two dots\r\n.\r\nGrüße aus Köln\r\n");
        var i = 0;
        while (sb.Length < size)
        {
            sb.Append(i++ % 5 == 0 ? ".padding " : "padding ").Append(i).Append(' ').Append('x', 60).Append("\r\n");
        }
        sb.Append("end\r\n");
        return (Encoding.UTF8.GetBytes(sb.ToString()), marker);
    }


    /// <summary>Postfix stores the message with LF line ends after its own Received header: the rest is ours, byte for byte.</summary>
    private static void AssertDeliveredIntact(byte[] submitted, byte[] delivered)
    {
        var expected = Encoding.UTF8.GetString(submitted).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.EndsWith(expected, Encoding.UTF8.GetString(delivered), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Small_message_goes_as_one_bdat_last_and_arrives_intact()
    {
        var log = new TraceLines();
        var (message, marker) = Message(0);
        await using (var c = await ConnectAsync(log))
        {
            Assert.True(c.Extensions.Chunking && c.Extensions.Pipelining);
            await c.DeliverAsync("sender@client.example.test", "user@example.test", message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
            await c.CloseAsync();
        }
        Assert.Contains($"LC: BDAT {message.Length} LAST", log.Lines);
        Assert.DoesNotContain("LC: DATA", log.Lines);
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("user@example.test", marker));
    }

    // Under Postfix's 1 MiB message_size_limit of the environment: 15 chunks of 64 KiB and a last one.
    [Fact]
    public async Task Message_of_a_megabyte_in_many_chunks_arrives_intact()
    {
        var log = new TraceLines();
        var (message, marker) = Message(1000 * 1000);
        await using (var c = await ConnectAsync(log))
        {
            await c.DeliverAsync("sender@client.example.test", "rcpt1@example.test", message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
            await c.CloseAsync();
        }
        Assert.Equal(message.Length / 65536, log.Lines.Count(l => l == "LC: BDAT 65536"));
        Assert.Contains($"LC: BDAT {message.Length % 65536} LAST", log.Lines);
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("rcpt1@example.test", marker));
    }

    [Fact]
    public async Task Multi_recipient_with_refused_ones_gets_exact_responses_and_delivers_to_the_rest()
    {
        var (message, marker) = Message(200 * 1000);
        IReadOnlyList<SmtpResponse> r;
        await using (var c = await ConnectAsync(new TraceLines()))
        {
            r = await c.DeliverMultipleAsync("sender@client.example.test", ["rcpt2@example.test", "reject@example.test", "tempfail@example.test", "user@example.test"],
                message.Length, new MemoryStream(message), DeliveryRequirements.EightBitMime);
            // The session goes on: a second message over it.
            var (second, marker2) = Message(100);
            await c.DeliverAsync("sender@client.example.test", "rcpt1@example.test", second.Length, new MemoryStream(second));
            await c.CloseAsync();
            AssertDeliveredIntact(second, await Maildir.DeliveredAsync("rcpt1@example.test", marker2));
        }
        Assert.True(r[0].IsSuccess && r[3].IsSuccess);
        Assert.Equal((550, "5.1.1", true), (r[1].Code, r[1].EnhancedStatusCode, r[1].Permanent));
        Assert.Equal((450, "4.2.1", false), (r[2].Code, r[2].EnhancedStatusCode, r[2].Permanent));
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("rcpt2@example.test", marker));
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("user@example.test", marker));
    }

    [Fact]
    public async Task All_recipients_refused_is_reported_and_the_session_goes_on()
    {
        var (message, marker) = Message(100);
        await using var c = await ConnectAsync(new TraceLines());
        var e = await Assert.ThrowsAsync<SmtpException>(() => c.DeliverMultipleAsync("sender@client.example.test", ["reject@example.test", "tempfail@example.test"],
            message.Length, new MemoryStream(message)));
        Assert.Equal((SmtpErrorReason.NoRecipients, false, false), (e.Reason, e.MessageDataSent, c.IsBroken));
        Assert.Equal([550, 450], e.RecipientResponses.Select(x => x.Code));
        await c.DeliverAsync("sender@client.example.test", "user@example.test", message.Length, new MemoryStream(message));
        await c.CloseAsync();
        AssertDeliveredIntact(message, await Maildir.DeliveredAsync("user@example.test", marker));
    }

    /// <summary>Keeps the protocol trace lines.</summary>
    private sealed class TraceLines : ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }
}
