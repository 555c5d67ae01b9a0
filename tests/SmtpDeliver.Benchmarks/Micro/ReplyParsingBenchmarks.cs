using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;

namespace SmtpDeliver.Benchmarks.Micro;

/// <summary>
/// The reply parsers: one reply line's code and separator (RFC 5321 4.2), a whole multi-line EHLO reply read
/// through the transport from memory, and the EHLO extension keywords (RFC 5321 4.1.1.1) parsed from it.
/// </summary>
[MemoryDiagnoser]
public class ReplyParsingBenchmarks
{
    private static readonly byte[] Line = "250 2.1.5 Recipient <someone@example.org> ok"u8.ToArray();
    private static readonly string[] ExtensionLines =
    [
        "PIPELINING", "SIZE 104857600", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8",
        "CHUNKING", "BINARYMIME", "REQUIRETLS", "LIMITS RCPTMAX=100 MAILMAX=1000", "AUTH PLAIN LOGIN",
    ];
    private static readonly byte[] EhloReply = Encoding.ASCII.GetBytes(
        "250-mx.example.org Hello client.example\r\n" + string.Concat(ExtensionLines.Select((l, i) => (i == ExtensionLines.Length - 1 ? "250 " : "250-") + l + "\r\n")));
    private readonly MemoryStream _stream = new(EhloReply, writable: false);

    /// <summary>One reply line: code and separator.</summary>
    [Benchmark]
    public int ReplyLineTryParse() => (int)ReplyLine.TryParse(Line, out var code, out _) + code;

    /// <summary>A 14-line EHLO reply read through <see cref="SmtpTransport"/> (buffering, line splitting, strings).</summary>
    [Benchmark]
    public async Task<int> ReadEhloReply()
    {
        _stream.Position = 0;
        using var transport = new SmtpTransport(_stream, ReplyLimits.Default, NullLogger.Instance, traceSensitive: false);
        var reply = await transport.ReadReplyAsync(SmtpCommand.Ehlo, enhancedCodes: false, TimeSpan.FromSeconds(30), CancellationToken.None);
        return reply.MoreLines.Count;
    }

    /// <summary>The EHLO keywords and parameters into <see cref="EhloExtensions"/>.</summary>
    [Benchmark]
    public bool ParseEhloExtensions() => EhloExtensions.Parse(ExtensionLines).Supports("CHUNKING");
}
