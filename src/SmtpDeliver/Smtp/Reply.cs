namespace SmtpDeliver;

/// <summary>
/// One complete (possibly multi-line) reply as read from the server. Code and enhanced code are those
/// of the last line (RFC 5321 4.2.1 requires them to be equal on every line).
/// </summary>
internal sealed class Reply
{
    public required int Code { get; init; }
    public required string EnhancedStatusCode { get; init; }
    /// <summary>The first line, raw, without CRLF.</summary>
    public required string Line { get; init; }
    /// <summary>The later lines, raw.</summary>
    public required IReadOnlyList<string> MoreLines { get; init; }
    /// <summary>The text (after code and separator) of each later line that has text; for EHLO keywords.</summary>
    public required IReadOnlyList<string> MoreTexts { get; init; }
    /// <summary>The text of the last line after code, separator and enhanced code; for AUTH challenges.</summary>
    public required string LastText { get; init; }

    public int Class => Code / 100;

    public bool IsPositiveCompletion => Class == 2;

    public SmtpResponse ToResponse(SmtpCommand command, bool permanent, SmtpErrorReason? reason) => new()
    {
        Code = Code,
        EnhancedStatusCode = EnhancedStatusCode,
        Command = command,
        Line = Line,
        MoreLines = MoreLines,
        Permanent = permanent,
        Reason = reason,
    };
}
