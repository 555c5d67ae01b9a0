using System.Text.Json;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// The names of the counters <see cref="TlsRptAggregator"/> keeps in an <see cref="ITlsRptResultStore"/>: a
/// prefix, the policy as compact JSON and, for a failure detail, the detail (count zero) as compact JSON.
/// Compact JSON has no raw line feed, so '\n' separates the two. Equal policies and equal failures give
/// equal names, which is what makes the store's per-counter addition merge them (RFC 8460 4.3).
/// </summary>
internal static class TlsRptCounterNames
{
    private const string Success = "s ";
    private const string Failure = "f ";
    private const string Detail = "d ";

    /// <summary>The counters adding <paramref name="result"/>; empty when it counted nothing.</summary>
    public static IEnumerable<KeyValuePair<string, long>> For(TlsRptResult result)
    {
        var summary = result.Summary;
        var details = result.FailureDetails;
        if (summary.TotalSuccessfulSessionCount == 0 && summary.TotalFailureSessionCount == 0 && details.Count == 0)
        {
            yield break;
        }
        var policy = JsonSerializer.Serialize(result.Policy, TlsRptDetailJsonContext.Default.TlsRptResultPolicy);
        // Both summary counters always exist, so a policy with only successes is still listed.
        yield return new(Success + policy, summary.TotalSuccessfulSessionCount);
        yield return new(Failure + policy, summary.TotalFailureSessionCount);
        foreach (var detail in details)
        {
            var identity = JsonSerializer.Serialize(detail with { FailedSessionCount = 0 }, TlsRptDetailJsonContext.Default.FailureDetails);
            yield return new(Detail + policy + "\n" + identity, detail.FailedSessionCount);
        }
    }

    /// <summary>
    /// The results the counters add up to, in the order of their policies' names (stable across stores).
    /// Names that do not decode (a store shared with something else) are skipped.
    /// </summary>
    public static IReadOnlyList<TlsRptResult> Decode(IReadOnlyDictionary<string, long> counters)
    {
        var results = new SortedDictionary<string, TlsRptResult>(StringComparer.Ordinal);
        foreach (var (name, value) in counters.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            try
            {
                if (name.StartsWith(Success, StringComparison.Ordinal))
                {
                    ResultFor(results, name[Success.Length..]).Add(value, 0);
                }
                else if (name.StartsWith(Failure, StringComparison.Ordinal))
                {
                    ResultFor(results, name[Failure.Length..]).Add(0, value);
                }
                else if (name.StartsWith(Detail, StringComparison.Ordinal) && name.IndexOf('\n', StringComparison.Ordinal) is var nl and > 0)
                {
                    var detail = JsonSerializer.Deserialize(name.AsSpan(nl + 1), TlsRptDetailJsonContext.Default.FailureDetails);
                    if (detail is not null && value > 0)
                    {
                        ResultFor(results, name[Detail.Length..nl]).Add(0, 0, detail with { FailedSessionCount = value });
                    }
                }
            }
            catch (JsonException)
            {
                // Not one of ours: skipped.
            }
        }
        return [.. results.Values];
    }

    private static TlsRptResult ResultFor(SortedDictionary<string, TlsRptResult> results, string policyJson)
    {
        if (!results.TryGetValue(policyJson, out var result))
        {
            var policy = JsonSerializer.Deserialize(policyJson, TlsRptDetailJsonContext.Default.TlsRptResultPolicy) ?? throw new JsonException("null policy");
            result = new TlsRptResult(policy);
            results.Add(policyJson, result);
        }
        return result;
    }
}
