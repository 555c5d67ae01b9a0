using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Testing;

/// <summary>How an <see cref="SmtpSink"/> behaves. The defaults make a well-behaved ESMTP server without TLS.</summary>
public sealed record SmtpSinkOptions
{
    /// <summary>The name in the greeting and the EHLO reply.</summary>
    public string HostName { get; init; } = "sink.example";

    /// <summary>The greeting line; null for "220 <see cref="HostName"/> ESMTP".</summary>
    public string? Greeting { get; init; }

    /// <summary>The extensions announced and implemented.</summary>
    public SmtpSinkExtensions Extensions { get; init; } = SmtpSinkExtensions.Pipelining | SmtpSinkExtensions.Size | SmtpSinkExtensions.EightBitMime
        | SmtpSinkExtensions.SmtpUtf8 | SmtpSinkExtensions.EnhancedStatusCodes | SmtpSinkExtensions.Chunking | SmtpSinkExtensions.Dsn;

    /// <summary>More EHLO keywords announced as given (e.g. "XCLIENT"), before the built-in ones' last line.</summary>
    public IReadOnlyList<string> MoreExtensions { get; init; } = [];

    /// <summary>The certificate for STARTTLS; required with <see cref="SmtpSinkExtensions.StartTls"/>.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The TLS versions STARTTLS accepts.</summary>
    public SslProtocols TlsProtocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The largest message accepted (announced with SIZE); larger ones are read to the end and refused with 552.</summary>
    public long MaxMessageSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>The longest command or data line (without CRLF); a longer one ends the connection.</summary>
    public int MaxLineLength { get; init; } = 4096;

    /// <summary>The LIMITS parameters (RFC 9422 2), e.g. "RCPTMAX=100"; announced with <see cref="SmtpSinkExtensions.Limits"/>.</summary>
    public string Limits { get; init; } = "RCPTMAX=100";

    /// <summary>The AUTH mechanisms announced with <see cref="SmtpSinkExtensions.Auth"/>.</summary>
    public IReadOnlyList<string> AuthMechanisms { get; init; } = ["PLAIN"];

    /// <summary>Checks AUTH PLAIN credentials (user name, password); null accepts any.</summary>
    public Func<string, string, bool>? Authenticate { get; init; }

    /// <summary>
    /// Runs a whole AUTH exchange instead of the built-in PLAIN: gets the session and the AUTH command line,
    /// and writes every reply itself (e.g. a SCRAM server's challenges and the final 235 or 535).
    /// </summary>
    public Func<ServerSession, string, Task>? AuthExchange { get; init; }

    /// <summary>
    /// Fault injection: called for every command before the sink handles it. Return null for the normal
    /// reply, a reply (several lines joined with CRLF) to send instead (a MAIL, RCPT, DATA or BDAT whose reply
    /// is not positive is then refused: the recipient is not added, the data not read or the chunk discarded),
    /// or "" to close the connection without a reply. May wait (a delay hook).
    /// </summary>
    public Func<SinkCommand, ValueTask<string?>>? Reply { get; init; }

    /// <summary>The reply after a message's data (per message, e.g. a 451); null for "250 2.6.0 message accepted". "" closes the connection.</summary>
    public Func<ReceivedMessage, ValueTask<string?>>? MessageReply { get; init; }

    /// <summary>Fault injection: close the connection once this many bytes of a message's data have been read.</summary>
    public long? CloseAfterDataBytes { get; init; }

    /// <summary>The bound of every read and write; a client silent for longer is disconnected.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Keeps received messages in <see cref="SmtpSink.Messages"/>; off for benchmarks (only counted then).</summary>
    public bool CaptureMessages { get; init; } = true;

    /// <summary>Records every line in <see cref="SmtpSink.Transcript"/> ("S: " written, "C: " read); off by default.</summary>
    public bool RecordTranscript { get; init; }
}
