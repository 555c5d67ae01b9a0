using System.Globalization;

namespace SmtpDeliver.Names;

/// <summary>
/// A DNS domain name in both its ASCII (A-label, punycode) form, used on the wire, and its
/// Unicode (U-label) form, used for display. Names are stored lower-case and without a trailing dot.
/// </summary>
/// <remarks>
/// The default value (<see cref="IsEmpty"/>) stands for "no name", e.g. an unknown remote host name,
/// in which case no TLS server name is sent and no host name is verified.
/// </remarks>
public readonly record struct Domain
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    private readonly string? _ascii;
    private readonly string? _unicode;

    private Domain(string ascii, string unicode)
    {
        _ascii = ascii;
        _unicode = unicode;
    }

    /// <summary>The ASCII (A-label) form, e.g. <c>xn--mnchen-3ya.example</c>; empty for <see cref="IsEmpty"/>.</summary>
    public string Ascii => _ascii ?? string.Empty;

    /// <summary>The Unicode form, e.g. <c>münchen.example</c>; equal to <see cref="Ascii"/> for pure ASCII names.</summary>
    public string Unicode => _unicode ?? string.Empty;

    /// <summary>True for the default value: no domain.</summary>
    public bool IsEmpty => string.IsNullOrEmpty(_ascii);

    /// <summary>
    /// Parses a domain strictly: letters, digits and hyphens in labels (after IDNA conversion),
    /// labels of 1 to 63 bytes, at most 253 bytes in all, no trailing dot.
    /// </summary>
    /// <exception cref="FormatException">The name is not a valid domain name.</exception>
    public static Domain Parse(string name) => TryParse(name, allowUnderscore: false, out var d, out var error) ? d : throw new FormatException(error);

    /// <summary>
    /// Parses a domain leniently: as <see cref="Parse"/>, but underscores are allowed in labels,
    /// as they are found in MX targets in the wild.
    /// </summary>
    /// <exception cref="FormatException">The name is not a valid domain name.</exception>
    public static Domain ParseLax(string name) => TryParse(name, allowUnderscore: true, out var d, out var error) ? d : throw new FormatException(error);

    /// <summary>Tries <see cref="Parse"/>; returns false instead of throwing.</summary>
    public static bool TryParse(string? name, out Domain domain) => TryParse(name, allowUnderscore: false, out domain, out _);

    private static bool TryParse(string? name, bool allowUnderscore, out Domain domain, out string error)
    {
        domain = default;
        if (string.IsNullOrEmpty(name))
        {
            error = "empty domain name";
            return false;
        }
        if (name.EndsWith('.'))
        {
            error = $"domain name {name} must not end with a dot";
            return false;
        }
        string ascii;
        try
        {
            ascii = Idn.GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException e)
        {
            error = $"invalid domain name {name}: {e.Message}";
            return false;
        }
        if (ascii.Length > 253)
        {
            error = $"domain name {name} is longer than 253 bytes";
            return false;
        }
        foreach (var label in ascii.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                error = $"domain name {name} has an empty label or one longer than 63 bytes";
                return false;
            }
            if (label[0] == '-' || label[^1] == '-')
            {
                error = $"domain name {name} has a label starting or ending with a hyphen";
                return false;
            }
            foreach (var c in label)
            {
                var ok = char.IsAsciiLetterOrDigit(c) || c == '-' || (allowUnderscore && c == '_');
                if (!ok)
                {
                    error = $"domain name {name} has an invalid character {c}";
                    return false;
                }
            }
        }
        string unicode;
        try
        {
            unicode = Idn.GetUnicode(ascii);
        }
        catch (ArgumentException e)
        {
            error = $"invalid domain name {name}: {e.Message}";
            return false;
        }
        domain = new Domain(ascii, unicode);
        error = string.Empty;
        return true;
    }

    /// <summary>The Unicode form if it differs from the ASCII form, else the ASCII form.</summary>
    public override string ToString() => Unicode;
}
