namespace SmtpDeliver.Testing;

/// <summary>A message an <see cref="SmtpSink"/> accepted.</summary>
/// <param name="Connection">The number of the connection it came on, from 1.</param>
/// <param name="MailFrom">The envelope sender (the reverse path without angle brackets; empty for the null sender).</param>
/// <param name="MailParameters">The MAIL parameters as sent, e.g. "SIZE=120 BODY=8BITMIME"; empty when none.</param>
/// <param name="Recipients">The accepted recipients, in order.</param>
/// <param name="RecipientParameters">The RCPT parameters of each accepted recipient (e.g. "NOTIFY=NEVER"); empty strings when none.</param>
/// <param name="Data">The message exactly as the client meant it: dot-stuffing removed (RFC 5321 4.5.2), CRLF line ends, or the BDAT chunks joined.</param>
/// <param name="Tls">True when it arrived over TLS.</param>
/// <param name="Chunked">True when it arrived with BDAT (RFC 3030) rather than DATA.</param>
public sealed record ReceivedMessage(
    int Connection,
    string MailFrom,
    string MailParameters,
    IReadOnlyList<string> Recipients,
    IReadOnlyList<string> RecipientParameters,
    ReadOnlyMemory<byte> Data,
    bool Tls,
    bool Chunked)
{
    /// <summary>The data decoded as UTF-8.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Data.Span);
}
