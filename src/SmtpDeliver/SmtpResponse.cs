namespace SmtpDeliver;

/// <summary>
/// A server reply to one command, e.g. the reply to one RCPT TO in a transaction with several
/// recipients. Errors carry the same fields in <see cref="SmtpException"/>.
/// </summary>
public sealed record SmtpResponse
{
    /// <summary>The three-digit reply code, e.g. 250 or 550; 0 when no reply was read.</summary>
    public int Code { get; init; }

    /// <summary>
    /// The enhanced status code (RFC 3463) as the server wrote it, e.g. "5.7.1" for "550 5.7.1 …";
    /// empty when the server does not announce ENHANCEDSTATUSCODES or sent none. (mox keeps the
    /// class-less "7.1".)
    /// </summary>
    public string EnhancedStatusCode { get; init; } = string.Empty;

    /// <summary>The command the reply answers.</summary>
    public SmtpCommand Command { get; init; }

    /// <summary>The first reply line as received, without CRLF; empty when no reply was read.</summary>
    public string Line { get; init; } = string.Empty;

    /// <summary>Further lines of a multi-line reply, as received.</summary>
    public IReadOnlyList<string> MoreLines { get; init; } = [];

    /// <summary>
    /// True when the failure is permanent (5xx, except 552 for recipients, which RFC 5321 4.5.3.1.10
    /// says to treat as temporary); false for success and temporary failures.
    /// </summary>
    public bool Permanent { get; init; }

    /// <summary>Why the command failed; <c>null</c> on success.</summary>
    public SmtpErrorReason? Reason { get; init; }

    /// <summary>True for a 2xx reply.</summary>
    public bool IsSuccess => Code is >= 200 and < 300;

    /// <summary>The reply's first line (with the count of further lines), for logs.</summary>
    public override string ToString() => MoreLines.Count == 0 ? Line : $"{Line} (+{MoreLines.Count} lines)";
}
