using SmtpDeliver.Delivery;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// Collects the TLSRPT results of many deliveries (RFC 8460 4) into daily totals per policy domain: session
/// counts are added, failure details equal in everything but their count are merged with counts added.
/// Thread-safe; the counts live in an <see cref="ITlsRptResultStore"/> (in process by default, Redis or
/// another shared store for several workers). The day is the UTC day of <see cref="TimeProvider"/> when a
/// result is recorded.
/// </summary>
/// <param name="store">Where the counts are kept.</param>
/// <param name="timeProvider">The clock deciding the day; <see cref="TimeProvider.System"/> when <c>null</c>.</param>
public sealed class TlsRptAggregator(ITlsRptResultStore store, TimeProvider? timeProvider = null)
{
    private readonly ITlsRptResultStore _store = store ?? throw new ArgumentNullException(nameof(store));
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>The store the counts are kept in.</summary>
    public ITlsRptResultStore Store => _store;

    /// <summary>The clock deciding the day.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>Today, as a UTC day.</summary>
    public DateOnly Today => DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Records the results of one delivery: the recipient domain's and every MX host's. Nothing is recorded
    /// for the delivery of a TLSRPT report (<see cref="TlsRptReportMessage.IsReport(DeliveryRequest)"/>):
    /// RFC 8460 3, reports are not sent about reports.
    /// </summary>
    public ValueTask RecordAsync(DeliveryRequest request, DeliveryOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(outcome);
        return TlsRptReportMessage.IsReport(request)
            ? ValueTask.CompletedTask
            : RecordAsync([outcome.RecipientDomainResult, .. outcome.HostResults], cancellationToken);
    }

    /// <summary>
    /// Adds results to today's totals of their policy domains. Results that counted nothing are skipped.
    /// The caller must not pass results of a TLSRPT report's delivery (RFC 8460 3).
    /// </summary>
    public async ValueTask RecordAsync(IEnumerable<TlsRptResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        var day = Today;
        var byDomain = new Dictionary<string, List<KeyValuePair<string, long>>>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            if (result is null)
            {
                continue;
            }
            var counters = TlsRptCounterNames.For(result).ToList();
            if (counters.Count == 0)
            {
                continue;
            }
            var domain = NormalizeDomain(result.Policy.Domain);
            if (!byDomain.TryGetValue(domain, out var list))
            {
                byDomain[domain] = list = [];
            }
            list.AddRange(counters);
        }
        foreach (var (domain, counters) in byDomain)
        {
            await _store.IncrementAsync(day, domain, counters, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The policy domains with results on <paramref name="day"/>.</summary>
    public ValueTask<IReadOnlyList<string>> GetPolicyDomainsAsync(DateOnly day, CancellationToken cancellationToken = default) =>
        _store.GetPolicyDomainsAsync(day, cancellationToken);

    /// <summary>The totals of <paramref name="policyDomain"/> on <paramref name="day"/>, one result per policy.</summary>
    public async ValueTask<IReadOnlyList<TlsRptResult>> GetResultsAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        var counters = await _store.GetCountersAsync(day, NormalizeDomain(policyDomain), cancellationToken).ConfigureAwait(false);
        return TlsRptCounterNames.Decode(counters);
    }

    /// <summary>Forgets the totals of <paramref name="policyDomain"/> on <paramref name="day"/> (once reported).</summary>
    public ValueTask RemoveAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        return _store.RemoveAsync(day, NormalizeDomain(policyDomain), cancellationToken);
    }

    /// <summary>The domain as stored: lower case ASCII, no trailing dot.</summary>
    internal static string NormalizeDomain(string domain) => domain.TrimEnd('.').ToLowerInvariant();
}
