using System.Globalization;
using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// Prepares passwords as the PRECIS OpaqueString profile (RFC 8265 4.2), which replaces SASLprep
/// (RFC 4013) for SCRAM and CRAM-MD5: non-ASCII spaces become U+0020, the result is NFC-normalised,
/// and control, surrogate and unassigned code points are refused.
/// </summary>
internal static class OpaqueString
{
    /// <summary>Prepares <paramref name="password"/>; false when it contains a disallowed code point or is empty.</summary>
    public static bool TryPrepare(string password, out string prepared)
    {
        ArgumentNullException.ThrowIfNull(password);
        prepared = password;
        if (password.Length == 0)
        {
            return false;
        }
        var mapped = new StringBuilder(password.Length);
        for (var i = 0; i < password.Length; i++)
        {
            var c = password[i];
            var category = char.GetUnicodeCategory(password, i);
            if (char.IsHighSurrogate(c) && i + 1 < password.Length && char.IsLowSurrogate(password[i + 1]))
            {
                if (CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, password[i + 1])) is UnicodeCategory.OtherNotAssigned)
                {
                    return false;
                }
                mapped.Append(c).Append(password[i + 1]);
                i++;
                continue;
            }
            switch (category)
            {
                case UnicodeCategory.Control or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned:
                    return false;
                // RFC 8265 4.2.1: additional mapping of non-ASCII spaces to ASCII space.
                case UnicodeCategory.SpaceSeparator:
                    mapped.Append(' ');
                    break;
                default:
                    mapped.Append(c);
                    break;
            }
        }
        prepared = mapped.ToString().Normalize(NormalizationForm.FormC);
        return true;
    }
}
