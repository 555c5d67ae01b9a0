using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Benchmarks.EndToEnd;

/// <summary>
/// The <c>sink</c> mode: an <see cref="SmtpSink"/> in its own process, so that its allocations and CPU
/// are not counted as the client's. Every message is hashed (SHA-256) and compared with the expected one.
/// With <c>--control</c> the runner drives it over stdin/stdout; otherwise it serves until
/// <c>--expect N</c> messages arrived (or forever) and prints how long they took (for Postfix's drain).
/// </summary>
internal sealed class SinkHost
{
    private readonly X509Certificate2 _certificate;
    private SmtpSink? _sink;
    private byte[] _expected = [];
    private int _expectedRecipients;
    private long _good;
    private long _tls;
    private long _first;
    private long _last;

    private SinkHost(X509Certificate2 certificate) => _certificate = certificate;

    /// <summary>Runs the mode: <c>sink [--control] [--tls] [--no-chunking] [--cert file.pfx] [--expect N]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var certPath = Option(args, "--cert");
        using var certificate = certPath is null ? CreateCertificate("mx.bench.example") : X509CertificateLoader.LoadPkcs12FromFile(certPath, null);
        var host = new SinkHost(certificate);
        if (args.Contains("--control"))
        {
            await host.ControlAsync();
            return 0;
        }
        var expect = long.Parse(Option(args, "--expect") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        host.Start(args.Contains("--tls"), !args.Contains("--no-chunking"), true);
        await Console.Out.WriteLineAsync($"sink listening on 127.0.0.1:{host._sink!.EndPoint.Port} (tls {args.Contains("--tls")}); expecting {expect} messages");
        var counted = 0L;
        while (expect == 0 || host._sink.MessageCount < expect)
        {
            await Task.Delay(50);
            if (host._sink.MessageCount / 500 != counted / 500)
            {
                await Console.Out.WriteLineAsync($"  {host._sink.MessageCount} messages");
            }
            counted = host._sink.MessageCount;
        }
        var seconds = Stopwatch.GetElapsedTime(host._first, host._last).TotalSeconds;
        var stats = host.Stats();
        await Console.Out.WriteLineAsync($"drained {expect} messages in {seconds:F3} s from the first message to the last: {expect / seconds:F0} msgs/s; {stats}");
        await host._sink.DisposeAsync();
        return 0;
    }

    /// <summary>A self-signed ECDSA certificate for <paramref name="name"/>.</summary>
    public static X509Certificate2 CreateCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    // Commands, one per line: "new <tls 0|1> <chunking 0|1> <pipelining 0|1>" -> "port N";
    // "expect <sha256 hex|-> <recipients>" -> "ok"; "stats" -> the counters; "quit".
    private async Task ControlAsync()
    {
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "new":
                    if (_sink is not null)
                    {
                        await _sink.DisposeAsync();
                    }
                    GC.Collect();
                    Start(parts[1] == "1", parts[2] == "1", parts[3] == "1");
                    await Console.Out.WriteLineAsync($"port {_sink!.EndPoint.Port}");
                    break;
                case "expect":
                    _expected = parts[1] == "-" ? [] : Convert.FromHexString(parts[1]);
                    _expectedRecipients = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                    await Console.Out.WriteLineAsync("ok");
                    break;
                case "stats":
                    await Console.Out.WriteLineAsync(Stats());
                    break;
                case "quit":
                    if (_sink is not null)
                    {
                        await _sink.DisposeAsync();
                    }
                    return;
                default:
                    await Console.Out.WriteLineAsync("error unknown command");
                    break;
            }
            await Console.Out.FlushAsync();
        }
    }

    private string Stats() => _sink is null ? "0 0 0 0 0 0" :
        $"{_sink.MessageCount} {_sink.Flights} {_sink.Connections} {Interlocked.Read(ref _good)} {Interlocked.Read(ref _tls)} {_sink.Errors.Count}";

    private void Start(bool tls, bool chunking, bool pipelining)
    {
        _good = 0;
        _tls = 0;
        _first = 0;
        var extensions = SmtpSinkExtensions.Size | SmtpSinkExtensions.EightBitMime | SmtpSinkExtensions.SmtpUtf8 | SmtpSinkExtensions.EnhancedStatusCodes;
        extensions |= tls ? SmtpSinkExtensions.StartTls : 0;
        extensions |= chunking ? SmtpSinkExtensions.Chunking : 0;
        extensions |= pipelining ? SmtpSinkExtensions.Pipelining : 0;
        var options = new SmtpSinkOptions
        {
            HostName = "mx.bench.example",
            Certificate = _certificate,
            Extensions = extensions,
            MaxMessageSize = 100 * 1024 * 1024,
            Timeout = TimeSpan.FromSeconds(120),
            MessageReply = Check,
        };
        _sink = SmtpSink.Start(options);
    }

    private ValueTask<string?> Check(ReceivedMessage message)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _first, now, 0);
        _last = now;
        if ((_expected.Length == 0 || SHA256.HashData(message.Data.Span).AsSpan().SequenceEqual(_expected))
            && (_expectedRecipients == 0 || message.Recipients.Count == _expectedRecipients))
        {
            Interlocked.Increment(ref _good);
        }
        if (message.Tls)
        {
            Interlocked.Increment(ref _tls);
        }
        return ValueTask.FromResult<string?>(null);
    }
}
