using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SmtpDeliver.Delivery.MtaSts;

namespace SmtpDeliver.Redis;

/// <summary>
/// The Redis value of a cached MTA-STS policy: UTF-8 lines separated by LF, the header, the domain, the policy
/// id, when it was fetched and when it expires (Unix milliseconds; expires = fetched + max_age exactly, RFC 8461
/// 3.2), an HMAC-SHA256 (base64, "-" when unsigned) of everything else, then the policy text lines as fetched.
/// Decoding checks every field and re-parses the policy; anything off is a miss, never a lenient reading.
/// </summary>
internal static class MtaStsPolicyValue
{
    /// <summary>The first line; the version changes when the layout does.</summary>
    public const string Header = "smtpdeliver-mta-sts 1";

    /// <summary>
    /// Longest value written or read: a policy of up to 64 KiB (RFC 8461 3.3) in a worst case UTF-8 form plus the
    /// fields. A longer value in Redis is never read whole (GETRANGE) and is a miss.
    /// </summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>
    /// How far in the future a "fetched" time may be (clocks of workers differ): beyond it the value could
    /// stretch a policy's life past max_age, and is a miss.
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private const int MacLine = 5;
    private const int FirstPolicyLine = 6;

    /// <summary>The value for <paramref name="policy"/> of <paramref name="domain"/> (A-label form).</summary>
    public static string Encode(string domain, CachedMtaStsPolicy policy, ReadOnlySpan<byte> signingKey)
    {
        var expires = policy.Expires.ToUnixTimeMilliseconds();
        var fetched = expires - (long)policy.Policy.MaxAge.TotalMilliseconds;
        string[] lines = [Header, domain, policy.Id, fetched.ToString(CultureInfo.InvariantCulture), expires.ToString(CultureInfo.InvariantCulture), "-", .. policy.Policy.Lines];
        if (!signingKey.IsEmpty)
        {
            lines[MacLine] = Convert.ToBase64String(Mac(lines, signingKey));
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// The policy in <paramref name="value"/> if it is a valid value for <paramref name="domain"/>; otherwise
    /// <c>null</c> and why in <paramref name="reason"/>.
    /// </summary>
    public static CachedMtaStsPolicy? Decode(string domain, string value, ReadOnlySpan<byte> signingKey, DateTimeOffset now, out string reason)
    {
        if (Encoding.UTF8.GetByteCount(value) >= MaxBytes)
        {
            reason = "too long";
            return null;
        }
        var lines = value.Split('\n');
        if (lines.Length <= FirstPolicyLine || lines[0] != Header)
        {
            reason = "not a policy value of this version";
            return null;
        }
        if (lines[1] != domain)
        {
            // Another domain's policy copied under this key.
            reason = "stored for another domain";
            return null;
        }
        var id = lines[2];
        if (id.Length is 0 or > 32 || !id.All(char.IsAsciiLetterOrDigit))
        {
            // RFC 8461 3.1: the id is 1 to 32 letters and digits.
            reason = "invalid policy id";
            return null;
        }
        if (!TryParseMilliseconds(lines[3], out var fetched) || !TryParseMilliseconds(lines[4], out var expires))
        {
            reason = "invalid times";
            return null;
        }
        if (!signingKey.IsEmpty)
        {
            Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
            if (!Convert.TryFromBase64String(lines[MacLine], given, out var n) || n != given.Length
                || !CryptographicOperations.FixedTimeEquals(given, Mac(lines, signingKey)))
            {
                reason = "signature missing or wrong";
                return null;
            }
        }
        var policyLines = lines[FirstPolicyLine..];
        if (policyLines.Any(l => l.Length == 0))
        {
            reason = "empty policy line";
            return null;
        }
        MtaStsPolicy policy;
        try
        {
            policy = MtaStsPolicy.Parse(string.Join('\n', policyLines));
        }
        catch (MtaStsPolicyException e)
        {
            reason = "invalid policy: " + e.Message;
            return null;
        }
        if (!policy.Lines.SequenceEqual(policyLines, StringComparer.Ordinal))
        {
            reason = "policy text does not round-trip";
            return null;
        }
        // RFC 8461 3.2: the policy applies for max_age from when it was fetched, no longer.
        if (expires - fetched != (long)policy.MaxAge.TotalMilliseconds)
        {
            reason = "expiry is not fetched time plus max_age";
            return null;
        }
        if (fetched > (now + ClockSkew).ToUnixTimeMilliseconds())
        {
            reason = "fetched in the future";
            return null;
        }
        reason = "";
        return new CachedMtaStsPolicy(id, policy, DateTimeOffset.FromUnixTimeMilliseconds(expires));
    }

    /// <summary>When the value's policy was fetched, for ordering two stores of one domain.</summary>
    public static long FetchedMilliseconds(CachedMtaStsPolicy policy) =>
        policy.Expires.ToUnixTimeMilliseconds() - (long)policy.Policy.MaxAge.TotalMilliseconds;

    private static bool TryParseMilliseconds(string text, out long value)
    {
        value = 0;
        // Digits only, within DateTimeOffset's range (year 9999 is 253402300799999 ms).
        return text.Length is > 0 and <= 15 && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value)
            && value <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
    }

    private static byte[] Mac(string[] lines, ReadOnlySpan<byte> signingKey)
    {
        // Every line but the MAC's own, each ended by LF.
        var signed = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            if (i != MacLine)
            {
                signed.Append(lines[i]).Append('\n');
            }
        }
        return HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(signed.ToString()));
    }
}
