using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// The in-process <see cref="ITlsRptResultStore"/>: thread-safe, counts lost on restart. Memory is bounded:
/// beyond <see cref="MaxPolicyDomainsPerDay"/> domains or <see cref="MaxCountersPerDomain"/> counters of a
/// domain, new counters are not created (existing ones still count), so a hostile receiver inventing
/// endless distinct failure details cannot grow it without limit.
/// </summary>
public sealed class InMemoryTlsRptResultStore : ITlsRptResultStore
{
    private readonly ConcurrentDictionary<(DateOnly Day, string Domain), ConcurrentDictionary<string, StrongBox<long>>> _buckets = new();

    /// <summary>Most policy domains kept per day.</summary>
    public int MaxPolicyDomainsPerDay { get; init; } = 100_000;

    /// <summary>Most counters kept per (day, policy domain).</summary>
    public int MaxCountersPerDomain { get; init; } = 1_000;

    /// <inheritdoc/>
    public ValueTask IncrementAsync(DateOnly day, string policyDomain, IReadOnlyList<KeyValuePair<string, long>> counters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        ArgumentNullException.ThrowIfNull(counters);
        cancellationToken.ThrowIfCancellationRequested();
        var key = (day, policyDomain);
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            if (_buckets.Count(b => b.Key.Day == day) >= MaxPolicyDomainsPerDay)
            {
                return ValueTask.CompletedTask;
            }
            bucket = _buckets.GetOrAdd(key, static _ => new ConcurrentDictionary<string, StrongBox<long>>(StringComparer.Ordinal));
        }
        foreach (var (name, value) in counters)
        {
            if (!bucket.TryGetValue(name, out var counter))
            {
                if (bucket.Count >= MaxCountersPerDomain)
                {
                    continue;
                }
                counter = bucket.GetOrAdd(name, static _ => new StrongBox<long>());
            }
            Interlocked.Add(ref counter.Value, value);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> GetPolicyDomainsAsync(DateOnly day, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _buckets.Keys.Where(k => k.Day == day).Select(k => k.Domain).Order(StringComparer.Ordinal)]);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyDictionary<string, long>> GetCountersAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, long> counters = _buckets.TryGetValue((day, policyDomain), out var bucket)
            ? bucket.ToDictionary(c => c.Key, c => Interlocked.Read(ref c.Value.Value), StringComparer.Ordinal)
            : new Dictionary<string, long>();
        return ValueTask.FromResult(counters);
    }

    /// <inheritdoc/>
    public ValueTask RemoveAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken)
    {
        _buckets.TryRemove((day, policyDomain), out _);
        return ValueTask.CompletedTask;
    }
}
