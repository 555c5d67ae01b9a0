using System.Text;

namespace SmtpDeliver;

/// <summary>
/// Enhanced status codes (RFC 3463) as servers write them, "class.subject.detail", e.g. "5.7.1", as reported in
/// <see cref="SmtpDeliver.SmtpResponse.EnhancedStatusCode"/>. The common ones are shared strings, so parsing a
/// reply does not allocate for them.
/// </summary>
internal static class EnhancedCodes
{
    // subject.detail of the common codes: 0.0, 1.0, 1.1, 1.5, 2.2, 3.4, 3.0, 5.0, 5.3, 6.0, 7.0, 7.1, 7.8, 7.30 (RFC 8689).
    private static readonly string[] CommonDetails = ["0.0", "1.0", "1.1", "1.5", "2.2", "3.4", "3.0", "5.0", "5.3", "6.0", "7.0", "7.1", "7.8", "7.30"];

    private static readonly string[] Common = [.. new[] { '2', '4', '5' }.SelectMany(c => CommonDetails.Select(d => c + "." + d))];

    /// <summary>The code for the given ASCII bytes, e.g. "5.7.1"; a shared string for common codes.</summary>
    public static string Get(ReadOnlySpan<byte> ascii)
    {
        foreach (var c in Common)
        {
            if (ascii.Length == c.Length && Ascii.Equals(ascii, c))
            {
                return c;
            }
        }
        return Encoding.ASCII.GetString(ascii);
    }
}
