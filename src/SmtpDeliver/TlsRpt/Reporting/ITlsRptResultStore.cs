namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// Where <see cref="TlsRptAggregator"/> keeps the day's TLSRPT counts (RFC 8460 4): named 64-bit counters,
/// grouped by UTC day and policy domain. The store knows nothing of TLSRPT: counter names are opaque strings
/// made by the aggregator, so an implementation only adds, lists and deletes.
/// </summary>
/// <remarks>
/// <para>
/// Concurrency contract: <see cref="IncrementAsync"/> is called by many delivery workers at once, possibly in
/// several processes, and must never lose an increment; each counter is added to atomically (the in-process
/// store uses <see cref="Interlocked"/>). A Redis store maps naturally: one hash per (day, policy domain),
/// e.g. <c>tlsrpt:{yyyyMMdd}:{domain}</c>, each counter a field incremented with <c>HINCRBY</c> (in one
/// <c>MULTI</c> or pipeline), the domain added with <c>SADD tlsrpt:{yyyyMMdd}</c>, and an <c>EXPIRE</c> of a few
/// days on both so that days nobody reports are dropped.
/// </para>
/// <para>
/// Counters are only read and removed for days that are over (<see cref="TlsRptReporter"/> reports
/// yesterday), so a read followed by a remove does not race with increments.
/// </para>
/// </remarks>
public interface ITlsRptResultStore
{
    /// <summary>
    /// Adds each value to its named counter of (<paramref name="day"/>, <paramref name="policyDomain"/>),
    /// creating missing counters at zero and remembering the policy domain for the day. Atomic per counter.
    /// </summary>
    ValueTask IncrementAsync(DateOnly day, string policyDomain, IReadOnlyList<KeyValuePair<string, long>> counters, CancellationToken cancellationToken);

    /// <summary>The policy domains that have counters on <paramref name="day"/>, in any order.</summary>
    ValueTask<IReadOnlyList<string>> GetPolicyDomainsAsync(DateOnly day, CancellationToken cancellationToken);

    /// <summary>The counters of (<paramref name="day"/>, <paramref name="policyDomain"/>); empty when none.</summary>
    ValueTask<IReadOnlyDictionary<string, long>> GetCountersAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken);

    /// <summary>Deletes the counters of (<paramref name="day"/>, <paramref name="policyDomain"/>), e.g. once reported.</summary>
    ValueTask RemoveAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the report of (<paramref name="day"/>, <paramref name="policyDomain"/>) for the caller: when several
    /// workers run the daily job at once, exactly one gets <c>true</c> until the claim lapses after
    /// <paramref name="lease"/> (so a report that could not be made is claimed again on a later run), and the
    /// receiver gets one report, not one per worker. Atomic across every user of the store.
    /// </summary>
    ValueTask<bool> TryClaimReportAsync(DateOnly day, string policyDomain, TimeSpan lease, CancellationToken cancellationToken);
}
