namespace SmtpDeliver;

/// <summary>
/// One complete (possibly multi-line) reply as read from the server. Code and enhanced code are those
/// of the last line (RFC 5321 4.2.1 requires them to be equal on every line).
/// </summary>
internal readonly struct Reply(int code, string enhancedStatusCode, string line, IReadOnlyList<string> moreLines, IReadOnlyList<string> moreTexts, string lastLine, int lastTextStart)
{
    public int Code { get; } = code;
    public string EnhancedStatusCode { get; } = enhancedStatusCode;
    /// <summary>The first line, raw, without CRLF.</summary>
    public string Line { get; } = line;
    /// <summary>The later lines, raw.</summary>
    public IReadOnlyList<string> MoreLines { get; } = moreLines;
    /// <summary>The text (after code and separator) of each later line that has text; for EHLO keywords.</summary>
    public IReadOnlyList<string> MoreTexts { get; } = moreTexts;
    /// <summary>
    /// The text of the last line after code, separator and enhanced code; for AUTH challenges. Cut from the
    /// last line when asked for: only AUTH needs it, so other replies do not pay for the string.
    /// </summary>
    public string LastText => lastTextStart < lastLine.Length ? lastLine[lastTextStart..] : string.Empty;

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
