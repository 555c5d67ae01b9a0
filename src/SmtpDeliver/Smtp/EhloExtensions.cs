using System.Globalization;

namespace SmtpDeliver;

/// <summary>
/// The service extensions a server announced in its EHLO reply (RFC 5321 4.1.1.1). Immutable; the
/// client replaces it after the EHLO that follows STARTTLS, discarding what was learnt before TLS
/// (RFC 3207 4.2).
/// </summary>
public sealed record EhloExtensions
{
    /// <summary>No extensions: after HELO, or before EHLO.</summary>
    public static EhloExtensions None { get; } = new();

    /// <summary>STARTTLS (RFC 3207).</summary>
    public bool StartTls { get; init; }
    /// <summary>ENHANCEDSTATUSCODES (RFC 2034): replies carry enhanced status codes.</summary>
    public bool EnhancedStatusCodes { get; init; }
    /// <summary>8BITMIME (RFC 6152).</summary>
    public bool EightBitMime { get; init; }
    /// <summary>PIPELINING (RFC 2920).</summary>
    public bool Pipelining { get; init; }
    /// <summary>REQUIRETLS (RFC 8689).</summary>
    public bool RequireTls { get; init; }
    /// <summary>SMTPUTF8 (RFC 6531), with or without parameters.</summary>
    public bool SmtpUtf8 { get; init; }
    /// <summary>DSN (RFC 3461): delivery status notification parameters on MAIL and RCPT.</summary>
    public bool Dsn { get; init; }
    /// <summary>CHUNKING (RFC 3030 2): the message may be sent in BDAT chunks instead of DATA.</summary>
    public bool Chunking { get; init; }
    /// <summary>BINARYMIME (RFC 3030 3): BODY=BINARYMIME is accepted, for messages sent with BDAT.</summary>
    public bool BinaryMime { get; init; }
    /// <summary>SIZE (RFC 1870) with a value; bare "SIZE" without a value is not recognised.</summary>
    public bool Size { get; init; }
    /// <summary>The announced maximum message size; 0 when unlimited or not parseable.</summary>
    public long MaxSize { get; init; }
    /// <summary>AUTH mechanisms (RFC 4954), upper-case, in announced order; empty when AUTH was not announced.</summary>
    public IReadOnlyList<string> AuthMechanisms { get; init; } = [];
    /// <summary>LIMITS (RFC 9422), or <c>null</c> when absent or syntactically invalid.</summary>
    public LimitsExtension? Limits { get; init; }

    /// <summary>The most entries <see cref="All"/> holds; later lines are not kept there.</summary>
    public const int MaxAnnounced = 256;

    /// <summary>
    /// Every extension the server announced, known or not (CHUNKING, DSN, PRDR, X-…), in the order of
    /// the reply, keyword upper-cased and parameters as sent. A keyword announced twice is listed twice,
    /// as the server wrote it. A line whose first word is not an ehlo-keyword (RFC 5321 4.1.1.1:
    /// <c>(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")</c>), and an empty line, is not an extension and is
    /// skipped. At most <see cref="MaxAnnounced"/> entries (the reply itself is bounded by
    /// <see cref="ReplyLimits"/>).
    /// </summary>
    public IReadOnlyList<EhloExtension> All { get; init; } = [];

    /// <summary>
    /// Whether the server announced <paramref name="keyword"/> (compared case-insensitively, RFC 5321
    /// 2.4), whatever its parameters; true also for keywords this library does not act on.
    /// </summary>
    public bool Supports(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        foreach (var extension in All)
        {
            if (string.Equals(extension.Keyword, keyword, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Parses the text of the EHLO reply lines after the first (the first line is the server's name
    /// and greeting, never an extension). Keywords are case-insensitive; unknown ones only show in
    /// <see cref="All"/> and <see cref="Supports"/>.
    /// </summary>
    internal static EhloExtensions Parse(IEnumerable<string> extensionLines)
    {
        ArgumentNullException.ThrowIfNull(extensionLines);
        var e = new EhloExtensions();
        var all = new List<EhloExtension>();
        foreach (var raw in extensionLines)
        {
            if (all.Count < MaxAnnounced && Announced(raw) is { } announced)
            {
                all.Add(announced);
            }
            // RFC 5321 4.1.1.1: keywords are case-insensitive. Values are upper-cased too, as mox does.
            var s = raw.Trim().ToUpperInvariant();
            switch (s)
            {
                case "STARTTLS":
                    e = e with { StartTls = true };
                    continue;
                case "ENHANCEDSTATUSCODES":
                    e = e with { EnhancedStatusCodes = true };
                    continue;
                case "8BITMIME":
                    e = e with { EightBitMime = true };
                    continue;
                case "PIPELINING":
                    e = e with { Pipelining = true };
                    continue;
                case "REQUIRETLS":
                    e = e with { RequireTls = true };
                    continue;
                case "SMTPUTF8":
                    e = e with { SmtpUtf8 = true };
                    continue;
                case "DSN":
                    e = e with { Dsn = true };
                    continue;
                case "CHUNKING":
                    e = e with { Chunking = true };
                    continue;
                case "BINARYMIME":
                    e = e with { BinaryMime = true };
                    continue;
            }
            if (s.StartsWith("SMTPUTF8 ", StringComparison.Ordinal))
            {
                // RFC 6531 3.3: parameters of SMTPUTF8 are ignored.
                e = e with { SmtpUtf8 = true };
            }
            else if (s.StartsWith("SIZE ", StringComparison.Ordinal))
            {
                // RFC 1870 4: "SIZE 0" means no fixed limit; SIZE= is still sent with MAIL.
                var max = long.TryParse(s.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
                e = e with { Size = true, MaxSize = max };
            }
            else if (s.StartsWith("AUTH ", StringComparison.Ordinal))
            {
                e = e with { AuthMechanisms = s[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries) };
            }
            else if (s.StartsWith("LIMITS ", StringComparison.Ordinal))
            {
                e = e with { Limits = LimitsExtension.Parse(s.AsSpan(6)) };
            }
        }
        return all.Count == 0 ? e : e with { All = all.AsReadOnly() };
    }

    /// <summary>
    /// One ehlo-line as announced (RFC 5321 4.1.1.1), or <c>null</c> when its first word is not an
    /// ehlo-keyword. Surrounding whitespace is tolerated, as for the flags.
    /// </summary>
    private static EhloExtension? Announced(string raw)
    {
        var line = raw.AsSpan().Trim();
        var end = line.IndexOfAny(' ', '\t');
        var keyword = end < 0 ? line : line[..end];
        if (keyword.IsEmpty || !char.IsAsciiLetterOrDigit(keyword[0]))
        {
            return null;
        }
        foreach (var c in keyword)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return null;
            }
        }
        var parameters = end < 0 ? string.Empty : line[end..].TrimStart([' ', '\t']).ToString();
        return new EhloExtension(keyword.ToString().ToUpperInvariant(), parameters);
    }
}
