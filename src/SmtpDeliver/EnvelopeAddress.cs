using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text;
using SmtpDeliver.Names;

namespace SmtpDeliver;

/// <summary>
/// An envelope address for MAIL FROM and RCPT TO, validated against RFC 5321 4.1.2 (Mailbox: a
/// dot-string or quoted-string local part, "@", a domain or an address literal) and RFC 6531 (UTF-8 in
/// the local part and domain). Nothing a caller passes can become a second command: line breaks,
/// controls, angle brackets outside a quoted string and every other character outside the grammar are
/// refused when the address is parsed, before any byte is written.
/// </summary>
/// <remarks>
/// The sizes of RFC 5321 4.5.3.1 (64-octet local part, 255-octet domain, 256-octet path) are SHOULDs
/// and real mail uses longer local parts, so longer addresses are accepted; a server that cannot take
/// one refuses it with a reply, which is reported per recipient. A local part with non-ASCII characters
/// needs SMTPUTF8 (<see cref="RequiresSmtpUtf8"/>); a non-ASCII domain does not, as it is sent in its
/// A-label form unless SMTPUTF8 is in use for the transaction.
/// </remarks>
public sealed class EnvelopeAddress : IEquatable<EnvelopeAddress>
{
    private EnvelopeAddress(string localPart, Domain domain, string? addressLiteral, IPAddress? literalAddress)
    {
        LocalPart = localPart;
        Domain = domain;
        AddressLiteral = addressLiteral;
        LiteralAddress = literalAddress;
    }

    /// <summary>The null reverse-path "&lt;&gt;" (RFC 5321 4.5.5), the sender of bounces; valid only for MAIL FROM.</summary>
    public static EnvelopeAddress NullReversePath { get; } = new(string.Empty, default, null, null);

    /// <summary>True for <see cref="NullReversePath"/>.</summary>
    public bool IsNullReversePath => LocalPart.Length == 0;

    /// <summary>The local part as written on the wire: a dot-string, or a quoted-string with its quotes.</summary>
    public string LocalPart { get; }

    /// <summary>The domain; empty for an address literal and for <see cref="NullReversePath"/>.</summary>
    public Domain Domain { get; }

    /// <summary>The address literal with its brackets, e.g. "[127.0.0.1]" or "[IPv6:::1]"; <c>null</c> for a domain.</summary>
    public string? AddressLiteral { get; }

    /// <summary>The IP address of an IPv4 or IPv6 address literal; <c>null</c> otherwise.</summary>
    public IPAddress? LiteralAddress { get; }

    /// <summary>True when the local part has non-ASCII characters: the transaction needs SMTPUTF8 (RFC 6531 3.3).</summary>
    public bool RequiresSmtpUtf8 => !Ascii.IsValid(LocalPart);

    /// <summary>The domain or address literal as a next hop for delivery.</summary>
    /// <exception cref="InvalidOperationException">For <see cref="NullReversePath"/> or a general (non-IP) address literal.</exception>
    public IPDomain NextHop => LiteralAddress is { } ip ? new IPDomain(ip)
        : !Domain.IsEmpty ? new IPDomain(Domain)
        : throw new InvalidOperationException($"address {this} has no domain or ip address to deliver to");

    /// <summary>Parses an address such as <c>user@example.org</c>, <c>"a b"@example.org</c> or <c>user@[127.0.0.1]</c>, without angle brackets.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not an RFC 5321/6531 mailbox; the message names the problem.</exception>
    public static EnvelopeAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var address, out var error) ? address : throw new FormatException(error);
    }

    /// <summary>As <see cref="Parse"/>, but the empty string is the <see cref="NullReversePath"/>: for MAIL FROM.</summary>
    /// <exception cref="FormatException">The text is neither empty nor a mailbox.</exception>
    public static EnvelopeAddress ParseReversePath(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? NullReversePath : Parse(text);
    }

    /// <summary>Tries <see cref="Parse"/>; returns false instead of throwing.</summary>
    public static bool TryParse(string? text, out EnvelopeAddress address) => TryParse(text, out address, out _);

    /// <summary>Tries <see cref="Parse"/>, giving the problem when it fails.</summary>
    public static bool TryParse(string? text, out EnvelopeAddress address, out string error)
    {
        address = NullReversePath;
        if (string.IsNullOrEmpty(text))
        {
            error = "empty address";
            return false;
        }
        if (!TryParseLocalPart(text, out var at, out error))
        {
            return false;
        }
        var local = text[..at];
        var domainText = text[(at + 1)..];
        if (domainText.Length == 0)
        {
            error = $"address {Printable(text)} has no domain after the @";
            return false;
        }
        if (domainText[0] == '[')
        {
            if (!TryParseAddressLiteral(domainText, out var ip, out error))
            {
                error = $"address {Printable(text)}: {error}";
                return false;
            }
            address = new EnvelopeAddress(local, default, domainText, ip);
            return true;
        }
        if (!AllDomainCharactersAllowed(domainText) || !Domain.TryParse(domainText, out var domain))
        {
            error = $"address {Printable(text)} has an invalid domain";
            return false;
        }
        // RFC 5890/6531: U-labels or A-labels, as written. IDNA mapping (full-width letters, ideographic
        // dots, invisible joiners) belongs in user interfaces (RFC 5895); here it would make the domain
        // that receives the mail differ from the one the caller checked or showed.
        if (!string.Equals(domainText, domain.Unicode, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(domainText, domain.Ascii, StringComparison.OrdinalIgnoreCase))
        {
            error = $"address {Printable(text)} has a domain that changes under IDNA mapping (to {domain.Unicode}); give it as U-labels or A-labels";
            return false;
        }
        address = new EnvelopeAddress(local, domain, null, null);
        return true;
    }

    // RFC 5321 4.1.2: Local-part = Dot-string / Quoted-string; returns the index of the "@" after it.
    private static bool TryParseLocalPart(string text, out int at, out string error)
    {
        at = -1;
        var i = 0;
        if (text[0] == '"')
        {
            i = 1;
            while (true)
            {
                if (i >= text.Length)
                {
                    error = $"address {Printable(text)} has an unterminated quoted local part";
                    return false;
                }
                var c = text[i];
                if (c == '"')
                {
                    i++;
                    break;
                }
                if (c == '\\')
                {
                    // quoted-pairSMTP = "\" %d32-126 (not '<' or '>', as above)
                    if (i + 1 >= text.Length || text[i + 1] is < ' ' or > '~' or '<' or '>')
                    {
                        error = $"address {Printable(text)} has an invalid escape in its quoted local part";
                        return false;
                    }
                    i += 2;
                    continue;
                }
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126 / UTF8-non-ascii, except '<' and '>': allowed by
                // the grammar, unheard of in real addresses, and a server that does not parse quotes would
                // take them for the path's end (a documented choice).
                if ((c is >= ' ' and <= '~' and not ('<' or '>')) || IsAllowedNonAscii(text, i))
                {
                    i += char.IsHighSurrogate(c) ? 2 : 1;
                    continue;
                }
                error = $"address {Printable(text)} has a character not allowed in a quoted local part ({Describe(c)})";
                return false;
            }
        }
        else
        {
            // Dot-string = Atom *("." Atom), Atom = 1*atext.
            var atomStart = true;
            while (i < text.Length && text[i] != '@')
            {
                var c = text[i];
                if (c == '.')
                {
                    if (atomStart)
                    {
                        error = $"address {Printable(text)} has an empty atom in its local part (leading or double dot); quote it";
                        return false;
                    }
                    atomStart = true;
                    i++;
                    continue;
                }
                if (!IsAtext(c) && !IsAllowedNonAscii(text, i))
                {
                    error = $"address {Printable(text)} has a character not allowed in a local part ({Describe(c)})";
                    return false;
                }
                atomStart = false;
                i += char.IsHighSurrogate(c) ? 2 : 1;
            }
            if (i == 0)
            {
                error = $"address {Printable(text)} has an empty local part";
                return false;
            }
            if (atomStart)
            {
                error = $"address {Printable(text)} has a local part ending with a dot; quote it";
                return false;
            }
        }
        if (i >= text.Length || text[i] != '@')
        {
            error = $"address {Printable(text)} has no @ followed by a domain";
            return false;
        }
        at = i;
        error = string.Empty;
        return true;
    }

    // RFC 5321 4.1.3: "[" (IPv4 / "IPv6:" IPv6 / Standardized-tag ":" 1*dcontent) "]".
    private static bool TryParseAddressLiteral(string literal, out IPAddress? ip, out string error)
    {
        ip = null;
        if (literal.Length < 3 || literal[^1] != ']')
        {
            error = "address literal must end with ]";
            return false;
        }
        var inner = literal[1..^1];
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            var v6 = inner[5..];
            if (v6.Length > 0 && v6.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')
                && IPAddress.TryParse(v6, out var a) && a.AddressFamily == AddressFamily.InterNetworkV6)
            {
                ip = a;
                error = string.Empty;
                return true;
            }
            error = "invalid IPv6 address literal";
            return false;
        }
        if (inner.Length > 0 && char.IsAsciiDigit(inner[0]))
        {
            var parts = inner.Split('.');
            if (parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255))
            {
                ip = IPAddress.Parse(inner);
                error = string.Empty;
                return true;
            }
            error = "invalid IPv4 address literal";
            return false;
        }
        // General-address-literal: Standardized-tag = Ldh-str, dcontent = %d33-90 / %d94-126.
        var colon = inner.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && colon < inner.Length - 1
            && inner[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && inner[colon - 1] != '-'
            // '<', '>' and '"' are dcontent too, but no standardized tag uses them and a lenient server could
            // take them for the end of the path or a quoted string: refused (a documented choice).
            && inner[(colon + 1)..].All(c => c is (>= '!' and <= 'Z' or >= '^' and <= '~') and not ('<' or '>' or '"')))
        {
            error = string.Empty;
            return true;
        }
        error = "invalid address literal";
        return false;
    }

    // Domain.TryParse maps through IDNA, which folds some characters; refuse controls and syntax characters first.
    private static bool AllDomainCharactersAllowed(string domain)
    {
        for (var i = 0; i < domain.Length; i++)
        {
            var c = domain[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.') && !IsAllowedNonAscii(domain, i))
            {
                return false;
            }
            if (char.IsHighSurrogate(c))
            {
                i++;
            }
        }
        return true;
    }

    // RFC 5322 3.2.3 atext, as RFC 5321 4.1.2 uses it.
    private static bool IsAtext(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c, StringComparison.Ordinal);

    // RFC 6531 3.3 UTF8-non-ascii: a well-formed non-ASCII scalar that is not a control, format or separator character.
    private static bool IsAllowedNonAscii(string text, int index)
    {
        if (text[index] < 0x80 || Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }
        return Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned);
    }

    private static string Describe(char c) => c < ' ' || c == 0x7f || (c >= 0x80 && char.IsControl(c)) ? $"U+{(int)c:X4}" : $"'{c}'";

    // Error messages may end up in logs: no line breaks or controls from the input.
    private static string Printable(string text)
    {
        var shown = text.Length > 80 ? text[..80] + "…" : text;
        var b = new StringBuilder(shown.Length + 2);
        b.Append('"');
        foreach (var c in shown)
        {
            b.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }
        return b.Append('"').ToString();
    }

    /// <summary>The address as it goes between the angle brackets of MAIL FROM / RCPT TO.</summary>
    /// <param name="smtpUtf8">True when the transaction uses SMTPUTF8: the domain in its Unicode form; else in A-labels.</param>
    public string ToWireForm(bool smtpUtf8)
    {
        if (IsNullReversePath)
        {
            return string.Empty;
        }
        return LocalPart + "@" + WireDomain(smtpUtf8);
    }

    /// <summary>The part after the "@" on the wire: the address literal, or the domain in Unicode (SMTPUTF8) or A-label form.</summary>
    internal string WireDomain(bool smtpUtf8) => AddressLiteral ?? (smtpUtf8 ? Domain.Unicode : Domain.Ascii);

    /// <summary>The address with the domain in Unicode form; empty for the null reverse-path.</summary>
    public override string ToString() => ToWireForm(smtpUtf8: true);

    /// <inheritdoc/>
    public bool Equals(EnvelopeAddress? other) =>
        other is not null && LocalPart == other.LocalPart && Domain == other.Domain && AddressLiteral == other.AddressLiteral;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EnvelopeAddress);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(LocalPart, Domain, AddressLiteral);
}
