using System.Globalization;

namespace SmtpDeliver.Redis;

/// <summary>
/// The key layout (docs/redis.md). The TLSRPT keys of a day share the hash tag "{yyyyMMdd}", so the
/// increment script's keys are in one slot of a Redis Cluster.
/// </summary>
internal static class RedisKeys
{
    /// <summary>The cached MTA-STS policy of a domain (A-label form): a string.</summary>
    public static string MtaStsPolicy(string prefix, string domain) => $"{prefix}mta-sts:{domain}";

    /// <summary>The set of policy domains with TLSRPT counters on a day.</summary>
    public static string TlsRptDomains(string prefix, DateOnly day) => $"{prefix}tlsrpt:{{{Day(day)}}}:domains";

    /// <summary>The TLSRPT counters of a (day, policy domain): a hash, counter name to integer.</summary>
    public static string TlsRptCounters(string prefix, DateOnly day, string domain) => $"{prefix}tlsrpt:{{{Day(day)}}}:counters:{domain}";

    /// <summary>The claim on a day's report for a policy domain (a string with an expiry).</summary>
    public static string TlsRptClaim(string prefix, DateOnly day, string domain) => $"{prefix}tlsrpt:{{{Day(day)}}}:claim:{domain}";

    private static string Day(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}
