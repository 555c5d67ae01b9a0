using System.Globalization;

namespace SmtpDeliver;

/// <summary>
/// The LIMITS extension (RFC 9422) as announced in an EHLO reply: all name=value pairs, and the three
/// limits a client acts on. A limit is 0 when absent or invalid.
/// </summary>
/// <param name="Pairs">All pairs, names upper-cased, values as announced.</param>
/// <param name="MailMax">Maximum number of transactions per connection (MAILMAX), 0 if none.</param>
/// <param name="RcptMax">Maximum number of recipients per transaction (RCPTMAX), 0 if none.</param>
/// <param name="RcptDomainMax">Maximum number of recipient domains per transaction (RCPTDOMAINMAX), 0 if none.</param>
public sealed record LimitsExtension(IReadOnlyDictionary<string, string> Pairs, int MailMax, int RcptMax, int RcptDomainMax)
{
    /// <summary>
    /// Parses the text after the keyword "LIMITS", including its leading space: one or more
    /// " name=value" (RFC 9422 4). Any syntax error or duplicate name makes the whole extension
    /// ignored (RFC 9422 4.1): the result is <c>null</c>. A limit value that is not a positive number of
    /// at most 6 digits is ignored on its own: that limit stays 0 but the pair is kept.
    /// </summary>
    internal static LimitsExtension? Parse(ReadOnlySpan<char> text)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        int mailMax = 0, rcptMax = 0, rcptDomainMax = 0;
        var o = 0;
        while (o < text.Length)
        {
            if (text[o] != ' ')
            {
                return null;
            }
            o++;
            var nameStart = o;
            while (o < text.Length && (char.IsAsciiLetterOrDigit(text[o]) || text[o] is '-' or '_'))
            {
                o++;
            }
            if (o == nameStart || o >= text.Length || text[o] != '=')
            {
                return null;
            }
            var name = text[nameStart..o];
            o++;
            var valueStart = o;
            while (o < text.Length && text[o] is > ' ' and < (char)0x7f and not ';')
            {
                o++;
            }
            if (o == valueStart)
            {
                return null;
            }
            var value = text[valueStart..o];
            if (!pairs.TryAdd(name.ToString().ToUpperInvariant(), value.ToString()))
            {
                return null;
            }
            // Names are matched as announced; the client upper-cases EHLO lines before parsing.
            switch (name)
            {
                case "MAILMAX":
                    mailMax = ParseLimit(value);
                    break;
                case "RCPTMAX":
                    rcptMax = ParseLimit(value);
                    break;
                case "RCPTDOMAINMAX":
                    rcptDomainMax = ParseLimit(value);
                    break;
            }
        }
        return new LimitsExtension(pairs, mailMax, rcptMax, rcptDomainMax);
    }

    // RFC 9422 4.1: a value outside the allowed syntax is ignored; the limit defaults to none.
    private static int ParseLimit(ReadOnlySpan<char> value) =>
        value.Length <= 6 && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 0;
}
