using System.Net.Sockets;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using MailKit.Security;
using MimeKit;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Benchmarks;

/// <summary>
/// Delivering messages over one reused connection to a loopback sink, SmtpDeliver against MailKit in the
/// same run. Each operation delivers <see cref="MessagesPerOperation"/> messages to two recipients. The
/// message exists as bytes for SmtpDeliver (as a queue stores it) and as a parsed MimeMessage for
/// MailKit (its API takes MimeMessage; it serialises while sending).
/// </summary>
[MemoryDiagnoser]
public class DeliveryBenchmarks
{
    private const int MessagesPerOperation = 20;
    private static readonly string[] Recipients = ["a@sink.example", "b@sink.example"];
    private SmtpSink _server = null!;
    private byte[] _bytes = [];
    private MimeMessage _mime = null!;
    private SmtpClientSession _client = null!;
    private MailKit.Net.Smtp.SmtpClient _mailkit = null!;

    [Params(1024, 100 * 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        // Messages are only counted, no transcript: the sink costs as little as a discarding server.
        _server = SmtpSink.Start(new SmtpSinkOptions
        {
            HostName = "sink.example",
            Extensions = SmtpSinkExtensions.Pipelining | SmtpSinkExtensions.EightBitMime | SmtpSinkExtensions.Size,
            MaxMessageSize = 100_000_000,
            CaptureMessages = false,
        });
        var body = new StringBuilder();
        var line = 0;
        while (body.Length < MessageSize)
        {
            body.Append(line++ % 10 == 0 ? ".dotted line " : "line ").Append(line).Append(' ').Append('x', 60).Append("\r\n");
        }
        _bytes = Encoding.ASCII.GetBytes($"From: <s@bench.example>\r\nTo: <a@sink.example>\r\nSubject: bench\r\nMessage-ID: <1@bench.example>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\n{body}");
        _mime = await MimeMessage.LoadAsync(new MemoryStream(_bytes));

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _server.EndPoint.Port);
        _client = await SmtpClientSession.ConnectAsync(socket, new SmtpSessionOptions { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("bench.example"), RemoteHostname = default });

        _mailkit = new MailKit.Net.Smtp.SmtpClient { LocalDomain = "bench.example" };
        await _mailkit.ConnectAsync("127.0.0.1", _server.EndPoint.Port, SecureSocketOptions.None);
    }

    [Benchmark(Baseline = true)]
    public async Task MailKit()
    {
        var sender = MailboxAddress.Parse("s@bench.example");
        var rcpts = Recipients.Select(MailboxAddress.Parse).ToList();
        for (var i = 0; i < MessagesPerOperation; i++)
        {
            await _mailkit.SendAsync(_mime, sender, rcpts);
        }
    }

    [Benchmark]
    public async Task SmtpDeliver()
    {
        for (var i = 0; i < MessagesPerOperation; i++)
        {
            await _client.DeliverMultipleAsync("s@bench.example", Recipients, _bytes.Length, new MemoryStream(_bytes, writable: false));
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        await _mailkit.DisconnectAsync(true);
        _mailkit.Dispose();
        await _server.DisposeAsync();
    }
}
