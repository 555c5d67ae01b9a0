using System.Text;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

namespace SmtpDeliver.Fuzz;

/// <summary>The MTA-STS policy body and the _mta-sts TXT record (RFC 8461 3.1, 3.2): MtaStsPolicyException only.</summary>
internal static class MtaStsTargets
{
    private static readonly Domain[] Hosts = [Domain.Parse("mx.example.org"), Domain.Parse("a.mx.example.org"), Domain.Parse("example")];

    public static void Policy(byte[] bytes)
    {
        MtaStsPolicy policy;
        try
        {
            policy = MtaStsPolicy.Parse(Encoding.UTF8.GetString(bytes));
        }
        catch (MtaStsPolicyException)
        {
            return;
        }
        // RFC 8461 3.2: max_age is at most 31557600 seconds.
        if (policy.MaxAge < TimeSpan.Zero || policy.MaxAge > TimeSpan.FromSeconds(31_557_600))
        {
            throw new InvalidOperationException($"max_age out of range: {policy.MaxAge}");
        }
        foreach (var host in Hosts)
        {
            _ = policy.Matches(host);
        }
        foreach (var pattern in policy.MxPatterns)
        {
            // RFC 8461 4.1: a pattern without wildcard matches itself.
            if (!pattern.StartsWith("*.", StringComparison.Ordinal) && Domain.TryParse(pattern, out var d) && !policy.Matches(d))
            {
                throw new InvalidOperationException($"mx pattern {pattern} does not match itself");
            }
        }
    }

    public static void Record(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        _ = MtaStsRecord.IsMtaStsRecord(text);
        try
        {
            var record = MtaStsRecord.Parse(text);
            if (record.Id.Length is < 1 or > 32 || !record.Id.All(char.IsAsciiLetterOrDigit))
            {
                throw new InvalidOperationException($"invalid id {record.Id}");
            }
        }
        catch (MtaStsPolicyException)
        {
        }
    }
}
