using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// The in-process <see cref="ITlsRptResultStore"/>: thread-safe, counts lost on restart. Memory is bounded:
/// beyond <see cref="MaxPolicyDomainsPerDay"/> domains or <see cref="MaxCountersPerDomain"/> counters of a
/// domain, new counters are not created (existing ones still count), so a hostile receiver inventing
/// endless distinct failure details cannot grow it without limit; days older than
/// <see cref="RetentionDays"/> before the newest day counted are dropped, reported or not. Every operation
/// costs time in proportion to its own counters, never to the number of domains stored.
/// </summary>
public sealed class InMemoryTlsRptResultStore : ITlsRptResultStore
{
    private readonly ConcurrentDictionary<DateOnly, DayBuckets> _days = new();
    private readonly ConcurrentDictionary<(DateOnly Day, string Domain), DateTimeOffset> _claims = new();
    private long _newestDay = long.MinValue;

    /// <summary>Most policy domains kept per day.</summary>
    public int MaxPolicyDomainsPerDay { get; init; } = 100_000;

    /// <summary>Most counters kept per (day, policy domain).</summary>
    public int MaxCountersPerDomain { get; init; } = 1_000;

    /// <summary>Days kept before the newest day counted (a day not reported by then is dropped); default 7.</summary>
    public int RetentionDays { get; init; } = 7;

    /// <summary>The clock for report claims (<see cref="TryClaimReportAsync"/>); <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <inheritdoc/>
    public ValueTask<bool> TryClaimReportAsync(DateOnly day, string policyDomain, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        var key = (day, policyDomain);
        var now = TimeProvider.GetUtcNow();
        while (true)
        {
            if (_claims.TryAdd(key, now + lease))
            {
                return ValueTask.FromResult(true);
            }
            if (!_claims.TryGetValue(key, out var until))
            {
                continue;
            }
            if (until > now)
            {
                return ValueTask.FromResult(false);
            }
            // Lapsed: taken over by whoever replaces exactly the lapsed claim.
            if (_claims.TryUpdate(key, now + lease, until))
            {
                return ValueTask.FromResult(true);
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask IncrementAsync(DateOnly day, string policyDomain, IReadOnlyList<KeyValuePair<string, long>> counters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        ArgumentNullException.ThrowIfNull(counters);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_days.TryGetValue(day, out var days))
        {
            days = _days.GetOrAdd(day, static _ => new DayBuckets());
            ForgetOldDays(day);
        }
        var bucket = days.GetOrAdd(policyDomain, MaxPolicyDomainsPerDay);
        if (bucket is null)
        {
            return ValueTask.CompletedTask;
        }
        foreach (var (name, value) in counters)
        {
            if (bucket.GetOrAdd(name, MaxCountersPerDomain) is { } counter)
            {
                Interlocked.Add(ref counter.Value, value);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> GetPolicyDomainsAsync(DateOnly day, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(_days.TryGetValue(day, out var days)
            ? [.. days.Domains.Keys.Order(StringComparer.Ordinal)]
            : []);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyDictionary<string, long>> GetCountersAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        IReadOnlyDictionary<string, long> counters = _days.TryGetValue(day, out var days) && days.Domains.TryGetValue(policyDomain, out var bucket)
            ? bucket.Counters.ToDictionary(c => c.Key, c => Interlocked.Read(ref c.Value.Value), StringComparer.Ordinal)
            : new Dictionary<string, long>();
        return ValueTask.FromResult(counters);
    }

    /// <inheritdoc/>
    public ValueTask RemoveAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        if (_days.TryGetValue(day, out var days) && days.Domains.TryRemove(policyDomain, out _))
        {
            Interlocked.Decrement(ref days.Count);
        }
        return ValueTask.CompletedTask;
    }

    // A new day was seen: days too far behind the newest are dropped (only when a day is added, so rarely).
    private void ForgetOldDays(DateOnly day)
    {
        var number = (long)day.DayNumber;
        long newest;
        while ((newest = Interlocked.Read(ref _newestDay)) < number)
        {
            if (Interlocked.CompareExchange(ref _newestDay, number, newest) == newest)
            {
                break;
            }
        }
        var oldest = Math.Max(Interlocked.Read(ref _newestDay), number) - RetentionDays;
        foreach (var old in _days.Keys)
        {
            if (old.DayNumber < oldest)
            {
                _days.TryRemove(old, out _);
            }
        }
        foreach (var claim in _claims.Keys)
        {
            if (claim.Day.DayNumber < oldest)
            {
                _claims.TryRemove(claim, out _);
            }
        }
    }

    private sealed class DayBuckets
    {
        public readonly ConcurrentDictionary<string, DomainCounters> Domains = new(StringComparer.Ordinal);
        public int Count;

        // Null when the day already holds max domains and this one is new.
        public DomainCounters? GetOrAdd(string domain, int max)
        {
            if (Domains.TryGetValue(domain, out var existing))
            {
                return existing;
            }
            if (Interlocked.Increment(ref Count) > max)
            {
                Interlocked.Decrement(ref Count);
                return null;
            }
            var added = new DomainCounters();
            var got = Domains.GetOrAdd(domain, added);
            if (!ReferenceEquals(got, added))
            {
                Interlocked.Decrement(ref Count);
            }
            return got;
        }
    }

    private sealed class DomainCounters
    {
        public readonly ConcurrentDictionary<string, StrongBox<long>> Counters = new(StringComparer.Ordinal);
        private int _count;

        // Null when the domain already holds max counters and this one is new.
        public StrongBox<long>? GetOrAdd(string name, int max)
        {
            if (Counters.TryGetValue(name, out var existing))
            {
                return existing;
            }
            if (Interlocked.Increment(ref _count) > max)
            {
                Interlocked.Decrement(ref _count);
                return null;
            }
            var added = new StrongBox<long>();
            var got = Counters.GetOrAdd(name, added);
            if (!ReferenceEquals(got, added))
            {
                Interlocked.Decrement(ref _count);
            }
            return got;
        }
    }
}
