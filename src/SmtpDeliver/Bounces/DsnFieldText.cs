using System.Globalization;
using System.Text;

namespace SmtpDeliver.Bounces;

/// <summary>
/// Makes caller and server text safe inside a header field or the notification's text: no CR, LF or other
/// control character survives (so no text can end a field and start another, RFC 5322 2.2), lines are folded
/// at spaces (RFC 5322 2.2.3: 78 characters preferred, 998 at most), and length is capped.
/// </summary>
internal static class DsnFieldText
{
    /// <summary>Longest value kept of one piece of outside text, in characters.</summary>
    public const int MaxValueLength = 4096;

    private const int PreferredLineLength = 78;
    private const int MaxWordLength = 900;

    /// <summary>
    /// The text with every control, format and line/paragraph separator character replaced by a space, runs of
    /// spaces collapsed, unpaired surrogates and (unless <paramref name="allowUtf8"/>) non-ASCII as '?', capped at
    /// <see cref="MaxValueLength"/>.
    /// </summary>
    public static string Sanitize(string? text, bool allowUtf8)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }
        var b = new StringBuilder(Math.Min(text.Length, MaxValueLength));
        var space = false;
        for (var i = 0; i < text.Length && b.Length < MaxValueLength; i++)
        {
            var c = text[i];
            string? piece;
            if (c < 0x80)
            {
                piece = c is < ' ' or (char)0x7f ? null : c.ToString();
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                piece = allowUtf8 ? text.Substring(i, 2) : "?";
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                piece = "?";
            }
            else
            {
                piece = CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                    or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator
                    ? null
                    : allowUtf8 ? c.ToString() : "?";
            }
            if (piece is null || piece == " ")
            {
                space = b.Length > 0;
                continue;
            }
            if (space)
            {
                b.Append(' ');
                space = false;
            }
            b.Append(piece);
        }
        if (b.Length >= MaxValueLength)
        {
            b.Length = MaxValueLength - 3;
            if (b.Length > 0 && char.IsHighSurrogate(b[^1]))
            {
                b.Length--;
            }
            b.Append("...");
        }
        return b.ToString();
    }

    /// <summary>
    /// Appends "Name: value" with CRLF, folded before spaces so lines stay near 78 characters; a word longer than
    /// 900 characters is split. The value must already be sanitised.
    /// </summary>
    public static void AppendField(StringBuilder b, string name, string value)
    {
        b.Append(name).Append(':');
        var lineLength = name.Length + 1;
        foreach (var word in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            for (var start = 0; start < word.Length; start += MaxWordLength)
            {
                var piece = word.Substring(start, Math.Min(MaxWordLength, word.Length - start));
                // RFC 5322 2.2.3: folding inserts CRLF before whitespace.
                if (lineLength + 1 + piece.Length > PreferredLineLength && lineLength > name.Length + 1)
                {
                    b.Append("\r\n");
                    lineLength = 0;
                }
                b.Append(' ').Append(piece);
                lineLength += 1 + piece.Length;
            }
        }
        b.Append("\r\n");
    }
}
