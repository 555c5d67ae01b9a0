using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Dane;

/// <summary>
/// A TLSA record (RFC 6698): certificate usage, selector, matching type and association data.
/// Values outside the known enums are kept as they were received, so unknown records can be
/// reported and skipped rather than lost.
/// </summary>
public sealed record TlsaRecord(TlsaUsage Usage, TlsaSelector Selector, TlsaMatchingType MatchingType, ReadOnlyMemory<byte> Data)
{
    /// <summary>
    /// Parses the presentation form "usage selector matching hex", e.g. "3 1 1 0a1b…". The hex may be
    /// split by white space and is case-insensitive.
    /// </summary>
    /// <exception cref="FormatException">The text is not a TLSA record in presentation form.</exception>
    public static TlsaRecord Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4)
        {
            throw new FormatException($"tlsa record needs usage, selector, matching type and data: {text}");
        }
        var usage = ParseByte(parts[0], "usage");
        var selector = ParseByte(parts[1], "selector");
        var matching = ParseByte(parts[2], "matching type");
        byte[] data;
        try
        {
            data = Convert.FromHexString(string.Concat(parts.AsSpan(3)));
        }
        catch (FormatException)
        {
            throw new FormatException($"tlsa record data is not hexadecimal: {text}");
        }
        return new TlsaRecord((TlsaUsage)usage, (TlsaSelector)selector, (TlsaMatchingType)matching, data);
    }

    private static byte ParseByte(string s, string what) =>
        byte.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
            ? b
            : throw new FormatException($"tlsa {what} must be a number from 0 to 255: {s}");

    /// <summary>The presentation form, "usage selector matching lowercase-hex", e.g. "3 1 1 0a1b…".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(byte)Usage} {(byte)Selector} {(byte)MatchingType} {Convert.ToHexStringLower(Data.Span)}");

    /// <summary>
    /// Whether the record can be used for SMTP DANE (RFC 7672 section 3.1): usage DANE-TA or DANE-EE,
    /// selector Cert or SPKI, and matching type Full (data must parse as a certificate or public key),
    /// SHA2-256 (32 bytes) or SHA2-512 (64 bytes).
    /// </summary>
    public bool IsUsableForSmtp
    {
        get
        {
            if (Usage is not (TlsaUsage.DaneTa or TlsaUsage.DaneEe) || Selector is not (TlsaSelector.Cert or TlsaSelector.Spki))
            {
                return false;
            }
            return MatchingType switch
            {
                TlsaMatchingType.Full => FullDataParses(),
                TlsaMatchingType.Sha256 => Data.Length == SHA256.HashSizeInBytes,
                TlsaMatchingType.Sha512 => Data.Length == SHA512.HashSizeInBytes,
                _ => false,
            };
        }
    }

    private bool FullDataParses()
    {
        try
        {
            if (Selector == TlsaSelector.Cert)
            {
                using var cert = X509CertificateLoader.LoadCertificate(Data.Span);
                return true;
            }
            _ = PublicKey.CreateFromSubjectPublicKeyInfo(Data.Span, out var read);
            return read == Data.Length;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Value equality including the association data.</summary>
    public bool Equals(TlsaRecord? other) =>
        other is not null && Usage == other.Usage && Selector == other.Selector && MatchingType == other.MatchingType && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Usage, Selector, MatchingType, Data.Length);
}
