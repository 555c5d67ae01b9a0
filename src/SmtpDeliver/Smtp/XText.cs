using System.Text;

namespace SmtpDeliver;

/// <summary>
/// The xtext encoding of RFC 3461 4: "!" to "~" except "+" and "=" stand for themselves, every other byte
/// of the UTF-8 form is "+" and two upper-case hex digits. The result is printable ASCII without space, so
/// it can never end a parameter or a command line.
/// </summary>
internal static class XText
{
    /// <summary>Encodes the UTF-8 bytes of <paramref name="value"/> as xtext.</summary>
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Encode(Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Encodes <paramref name="bytes"/> as xtext (RFC 3461 4: xchar or hexchar).</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'!' and <= (byte)'~' and not (byte)'+' and not (byte)'=')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('+').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }
}
