namespace SmtpDeliver;

/// <summary>
/// Parsing of single SMTP reply lines and enhanced status codes, over spans, without I/O or allocation.
/// </summary>
internal static class ReplyLine
{
    /// <summary>The outcome of <see cref="TryParse"/>.</summary>
    public enum Kind
    {
        /// <summary>The line starts with three digits followed by a space or nothing: the last line of a reply.</summary>
        Last,
        /// <summary>The line starts with three digits and a hyphen: more lines follow.</summary>
        Continuation,
        /// <summary>The line does not start with exactly three digits (RFC 5321 4.2).</summary>
        MissingCode,
        /// <summary>Three digits are followed by something other than a space or hyphen.</summary>
        BadSeparator,
    }

    /// <summary>
    /// Parses the reply code and separator of one line (without its CRLF). A line consisting of only a
    /// code, e.g. "451", is accepted as a last line (RFC 5321 4.2, tolerated as mox does).
    /// </summary>
    /// <param name="line">The line without line ending.</param>
    /// <param name="code">The three-digit code, when the result is <see cref="Kind.Last"/> or <see cref="Kind.Continuation"/>.</param>
    /// <param name="textStart">Offset of the text after the separator.</param>
    public static Kind TryParse(ReadOnlySpan<byte> line, out int code, out int textStart)
    {
        code = 0;
        textStart = 0;
        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit((char)line[digits]))
        {
            digits++;
        }
        if (digits != 3)
        {
            return Kind.MissingCode;
        }
        code = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
        if (line.Length == 3)
        {
            textStart = 3;
            return Kind.Last;
        }
        textStart = 4;
        return line[3] switch
        {
            (byte)' ' => Kind.Last,
            (byte)'-' => Kind.Continuation,
            _ => Kind.BadSeparator,
        };
    }

    /// <summary>
    /// Parses an enhanced status code (RFC 3463) at the start of reply text, e.g. "5.7.1 denied".
    /// The class digit must equal the first digit of the reply code. Returns the whole code as written,
    /// e.g. "5.7.1", or an empty string when the text does not start with a valid enhanced code.
    /// </summary>
    /// <param name="replyClass">The first digit of the reply code (2, 4 or 5).</param>
    /// <param name="text">The reply text after the code and separator.</param>
    /// <param name="rest">Offset into <paramref name="text"/> where the remaining text starts (0 when there is no enhanced code).</param>
    public static string ParseEnhancedCode(int replyClass, ReadOnlySpan<byte> text, out int rest)
    {
        rest = 0;
        // class "." subject "." detail, then an optional space. RFC 3463 2.
        if (text.Length < 5 || text[0] - '0' != replyClass || text[1] != '.')
        {
            return string.Empty;
        }
        var o = 2;
        var subjectStart = o;
        while (o < text.Length && char.IsAsciiDigit((char)text[o]))
        {
            o++;
        }
        if (o == subjectStart || o >= text.Length || text[o] != '.')
        {
            return string.Empty;
        }
        o++;
        var detailStart = o;
        while (o < text.Length && char.IsAsciiDigit((char)text[o]))
        {
            o++;
        }
        if (o == detailStart)
        {
            return string.Empty;
        }
        var secode = EnhancedCodes.Get(text[..o]);
        if (o < text.Length && text[o] == ' ')
        {
            o++;
        }
        rest = o;
        return secode;
    }
}
