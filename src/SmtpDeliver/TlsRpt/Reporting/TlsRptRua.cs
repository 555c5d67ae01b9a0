using System.Globalization;
using System.Net;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// One checked report destination of a TLSRPT record (RFC 8460 3): a mailbox (mailto:) or an https URL,
/// and the largest report it takes. The size limit is written after the URI as '!' digits and an optional
/// unit k, m, g or t (powers of 1024), as DMARC's rua (RFC 7489 6.4), e.g. <c>mailto:tlsrpt@example.org!10m</c>.
/// </summary>
public sealed record TlsRptRua
{
    private TlsRptRua(Uri uri, EnvelopeAddress? mailbox, long? maxSize)
    {
        Uri = uri;
        Mailbox = mailbox;
        MaxSize = maxSize;
    }

    /// <summary>The destination without its size limit.</summary>
    public Uri Uri { get; }

    /// <summary>The mailbox of a mailto: destination; <c>null</c> for https.</summary>
    public EnvelopeAddress? Mailbox { get; }

    /// <summary>True for an https destination (HTTP POST, RFC 8460 5.4), false for mailto: (RFC 8460 5.3).</summary>
    public bool IsHttps => Mailbox is null;

    /// <summary>The largest report, in bytes of the gzipped report (https) or of the report message (mailto); <c>null</c> when unlimited.</summary>
    public long? MaxSize { get; }

    /// <summary>True when a report of <paramref name="size"/> bytes may be sent here.</summary>
    public bool Accepts(long size) => MaxSize is not { } max || size <= max;

    /// <summary>Checks a destination from a parsed <see cref="TlsRptRecord"/>.</summary>
    /// <exception cref="TlsRptRuaException">The destination is refused; <see cref="TlsRptRuaException.Refusal"/> says why.</exception>
    public static TlsRptRua Parse(Uri rua)
    {
        ArgumentNullException.ThrowIfNull(rua);
        return Parse(rua.OriginalString);
    }

    /// <summary>Checks a destination as written in a record (<see cref="TlsRptRecord.RuaText"/>), with its size limit.</summary>
    /// <exception cref="TlsRptRuaException">The destination is refused; <see cref="TlsRptRuaException.Refusal"/> says why.</exception>
    public static TlsRptRua Parse(string rua)
    {
        ArgumentNullException.ThrowIfNull(rua);
        var text = rua;
        long? maxSize = null;
        var bang = text.LastIndexOf('!');
        if (bang >= 0)
        {
            maxSize = ParseSize(text.AsSpan(bang + 1)) ?? throw new TlsRptRuaException(TlsRptRuaRefusal.InvalidSizeLimit, $"invalid size limit in tlsrpt rua {text}");
            text = text[..bang];
        }
        if (text.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            var mailbox = ParseMailbox(text);
            return Uri.TryCreate("mailto:" + mailbox, UriKind.Absolute, out var mailto)
                ? new TlsRptRua(mailto, mailbox, maxSize)
                : throw new TlsRptRuaException(TlsRptRuaRefusal.InvalidMailbox, $"tlsrpt rua mailbox {mailbox} is not a valid mailto uri");
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            throw new TlsRptRuaException(TlsRptRuaRefusal.UnsupportedScheme, $"invalid tlsrpt rua {text}");
        }
        switch (uri.Scheme)
        {
            case "https":
                CheckHttps(uri);
                return new TlsRptRua(uri, null, maxSize);
            case "http":
                throw new TlsRptRuaException(TlsRptRuaRefusal.NotHttps, $"tlsrpt rua {text} is not https");
            default:
                throw new TlsRptRuaException(TlsRptRuaRefusal.UnsupportedScheme, $"tlsrpt rua scheme {uri.Scheme} is not mailto or https");
        }
    }

    private static EnvelopeAddress ParseMailbox(string text)
    {
        // RFC 6068: mailto:addr[?headers]; headers are not ours to follow.
        var address = text["mailto:".Length..];
        var query = address.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            address = address[..query];
        }
        address = Uri.UnescapeDataString(address);
        if (!EnvelopeAddress.TryParse(address, out var mailbox, out var error) || mailbox.IsNullReversePath)
        {
            throw new TlsRptRuaException(TlsRptRuaRefusal.InvalidMailbox, $"tlsrpt rua mailbox {address} is invalid: {error}");
        }
        if (mailbox.AddressLiteral is not null)
        {
            throw new TlsRptRuaException(TlsRptRuaRefusal.IpLiteral, $"tlsrpt rua mailbox {address} is at an address literal");
        }
        return mailbox;
    }

    private static void CheckHttps(Uri uri)
    {
        if (uri.UserInfo.Length > 0)
        {
            throw new TlsRptRuaException(TlsRptRuaRefusal.UserInfo, "tlsrpt rua https uri has user information");
        }
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || IPAddress.TryParse(uri.Host, out _))
        {
            throw new TlsRptRuaException(TlsRptRuaRefusal.IpLiteral, $"tlsrpt rua https uri has an ip address as host: {uri.Host}");
        }
        if (uri.HostNameType != UriHostNameType.Dns || !uri.Host.Contains('.', StringComparison.Ordinal))
        {
            throw new TlsRptRuaException(TlsRptRuaRefusal.InvalidHost, $"tlsrpt rua https uri has no usable host name: {uri.Host}");
        }
    }

    /// <summary>'!' size: digits and an optional k/m/g/t unit; <c>null</c> when malformed or too large.</summary>
    private static long? ParseSize(ReadOnlySpan<char> s)
    {
        var shift = 0;
        if (s.Length > 0 && char.ToLowerInvariant(s[^1]) is 'k' or 'm' or 'g' or 't')
        {
            shift = char.ToLowerInvariant(s[^1]) switch { 'k' => 10, 'm' => 20, 'g' => 30, _ => 40 };
            s = s[..^1];
        }
        if (s.Length is 0 or > 12 || s.ContainsAnyExceptInRange('0', '9')
            || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }
        return n > long.MaxValue >> shift ? null : n << shift;
    }
}
