using System.Text;

namespace SmtpDeliver.TlsRpt;

/// <summary>
/// The TLSRPT policy record published as TXT at <c>_smtp._tls.&lt;domain&gt;</c> (RFC 8460 3):
/// "v=TLSRPTv1; rua=mailto:…,https://…" with optional extensions.
/// </summary>
/// <param name="Rua">The report destinations, in order.</param>
/// <param name="Extensions">Extension key/value pairs, in order.</param>
public sealed record TlsRptRecord(IReadOnlyList<Uri> Rua, IReadOnlyList<KeyValuePair<string, string>> Extensions)
{
    private const string Version = "v=TLSRPTv1";
    private readonly IReadOnlyList<string>? _ruaText;

    /// <summary>
    /// The report destinations as written in the record, one per entry of <see cref="Rua"/>, including a
    /// '!' size limit suffix (<c>mailto:tlsrpt@example.org!10m</c>), which <see cref="Rua"/> leaves out when
    /// the URI with it is not a valid <see cref="Uri"/>. See <see cref="Reporting.TlsRptRua"/>.
    /// </summary>
    public IReadOnlyList<string> RuaText
    {
        get => _ruaText ?? [.. Rua.Select(u => u.OriginalString)];
        init => _ruaText = value;
    }

    /// <summary>True when the TXT text is meant as a TLSRPT record: "v=TLSRPTv1" then ';', white space or the end.</summary>
    public static bool IsTlsRptRecord(string txt) =>
        txt is not null && txt.StartsWith(Version, StringComparison.Ordinal) && (txt.Length == Version.Length || txt[Version.Length] is ';' or ' ' or '\t');

    /// <summary>Parses a TLSRPT record (RFC 8460 3).</summary>
    /// <exception cref="TlsRptRecordException">The text is not a valid TLSRPT record.</exception>
    public static TlsRptRecord Parse(string txt)
    {
        ArgumentNullException.ThrowIfNull(txt);
        if (!IsTlsRptRecord(txt))
        {
            throw new TlsRptRecordException($"tlsrpt record must start with {Version}");
        }
        var o = Version.Length;
        var rua = new List<Uri>();
        var ruaText = new List<string>();
        var extensions = new List<KeyValuePair<string, string>>();
        SkipWhiteSpace(txt, ref o);
        if (o >= txt.Length || txt[o] != ';')
        {
            throw new TlsRptRecordException("tlsrpt record needs ';' after the version");
        }
        while (o < txt.Length)
        {
            // ';' separates fields; one trailing ';' is allowed.
            o++;
            SkipWhiteSpace(txt, ref o);
            if (o >= txt.Length)
            {
                if (rua.Count == 0)
                {
                    throw new TlsRptRecordException("tlsrpt record has no rua");
                }
                break;
            }
            var keyStart = o;
            while (o < txt.Length && (char.IsAsciiLetterOrDigit(txt[o]) || (o > keyStart && txt[o] is '_' or '-' or '.')))
            {
                o++;
            }
            var key = txt[keyStart..o];
            if (key.Length is 0 or > 32 || o >= txt.Length || txt[o] != '=')
            {
                throw new TlsRptRecordException("tlsrpt record has a malformed field name");
            }
            o++;
            if (key == "rua")
            {
                ParseRua(txt, ref o, rua, ruaText);
            }
            else
            {
                var valueStart = o;
                while (o < txt.Length && txt[o] is > ' ' and < (char)0x7f and not '=' and not ';')
                {
                    o++;
                }
                if (o == valueStart)
                {
                    throw new TlsRptRecordException($"tlsrpt record extension {key} has an empty value");
                }
                extensions.Add(new(key, txt[valueStart..o]));
            }
            SkipWhiteSpace(txt, ref o);
            if (o < txt.Length && txt[o] != ';')
            {
                throw new TlsRptRecordException("tlsrpt record has leftover text after a field");
            }
        }
        if (rua.Count == 0)
        {
            throw new TlsRptRecordException("tlsrpt record has no rua");
        }
        return new TlsRptRecord(rua, extensions) { RuaText = ruaText };
    }

    // RFC 8460 3: tlsrpt-rua = "rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
    private static void ParseRua(string txt, ref int o, List<Uri> rua, List<string> ruaText)
    {
        while (true)
        {
            var start = o;
            while (o < txt.Length && txt[o] is not (',' or ';' or ' ' or '\t'))
            {
                o++;
            }
            var text = txt[start..o];
            // A '!' size limit (as DMARC's, RFC 7489 6.4) can make a mailto: URI invalid for Uri; then the URI
            // before it is kept, and the text with it.
            var bang = text.LastIndexOf('!');
            if (text.Length == 0 || !ValidPercentEncoding(text)
                || !(Uri.TryCreate(text, UriKind.Absolute, out var uri) || (bang > 0 && Uri.TryCreate(text[..bang], UriKind.Absolute, out uri)))
                || uri.Scheme.Length == 0)
            {
                throw new TlsRptRecordException($"tlsrpt rua has an invalid uri: {text}");
            }
            rua.Add(uri);
            ruaText.Add(text);
            var after = o;
            SkipWhiteSpace(txt, ref after);
            if (after < txt.Length && txt[after] == ',')
            {
                o = after + 1;
                SkipWhiteSpace(txt, ref o);
                continue;
            }
            return;
        }
    }

    private static bool ValidPercentEncoding(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '%' && (i + 2 >= s.Length || !char.IsAsciiHexDigit(s[i + 1]) || !char.IsAsciiHexDigit(s[i + 2])))
            {
                return false;
            }
        }
        return true;
    }

    private static void SkipWhiteSpace(string s, ref int o)
    {
        while (o < s.Length && s[o] is ' ' or '\t')
        {
            o++;
        }
    }

    /// <summary>
    /// Picks the TLSRPT record from the TXT strings at _smtp._tls.&lt;domain&gt;: other TXT records are
    /// ignored; none is <see cref="TlsRptRecordError.NoRecord"/>, two are <see cref="TlsRptRecordError.MultipleRecords"/>.
    /// </summary>
    /// <exception cref="TlsRptRecordException">No single valid TLSRPT record.</exception>
    public static TlsRptRecord FromTxt(IEnumerable<string> txts)
    {
        ArgumentNullException.ThrowIfNull(txts);
        var candidates = txts.Where(IsTlsRptRecord).ToList();
        return candidates.Count switch
        {
            0 => throw new TlsRptRecordException(TlsRptRecordError.NoRecord, "no tlsrpt txt record"),
            1 => Parse(candidates[0]),
            _ => throw new TlsRptRecordException(TlsRptRecordError.MultipleRecords, "multiple tlsrpt txt records"),
        };
    }

    /// <summary>The record as text, "v=TLSRPTv1; rua=a,b; key=value"; ',', '!' and ';' in URIs escaped.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Version).Append("; rua=");
        sb.AppendJoin(',', Rua.Select(u => u.OriginalString.Replace(",", "%2C", StringComparison.Ordinal).Replace("!", "%21", StringComparison.Ordinal).Replace(";", "%3B", StringComparison.Ordinal)));
        foreach (var (key, value) in Extensions)
        {
            sb.Append("; ").Append(key).Append('=').Append(value);
        }
        return sb.ToString();
    }
}
