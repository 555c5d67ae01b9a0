using System.Collections.Concurrent;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>
/// Recent policy fetch failures per domain (a negative cache), so a domain whose policy host fails or
/// stalls costs one fetch per <c>FetchFailureCacheTime</c>, not one per delivery. Thread-safe; holds at
/// most about <paramref name="capacity"/> domains, dropping expired entries and then those closest to
/// expiry when full.
/// </summary>
internal sealed class MtaStsFailureCache(int capacity)
{
    private sealed record Entry(FailureDetails Failure, DateTimeOffset Until);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();

    /// <summary>Domains held now.</summary>
    public int Count => _entries.Count;

    /// <summary>The failure of the domain's last fetch, when it is recent enough.</summary>
    public bool TryGet(Domain domain, DateTimeOffset now, out FailureDetails failure)
    {
        if (_entries.TryGetValue(domain.Ascii, out var entry))
        {
            if (entry.Until > now)
            {
                failure = entry.Failure;
                return true;
            }
            _entries.TryRemove(KeyValuePair.Create(domain.Ascii, entry));
        }
        failure = null!;
        return false;
    }

    /// <summary>Remembers a failed fetch until <paramref name="until"/>.</summary>
    public void Store(Domain domain, FailureDetails failure, DateTimeOffset until, DateTimeOffset now)
    {
        if (capacity <= 0)
        {
            return;
        }
        if (_entries.Count >= capacity && !_entries.ContainsKey(domain.Ascii))
        {
            Evict(now);
        }
        _entries[domain.Ascii] = new Entry(failure, until);
    }

    /// <summary>Forgets the domain's failure, after a successful fetch.</summary>
    public void Remove(Domain domain) => _entries.TryRemove(domain.Ascii, out _);

    private void Evict(DateTimeOffset now)
    {
        lock (_evicting)
        {
            foreach (var pair in _entries)
            {
                if (pair.Value.Until <= now)
                {
                    _entries.TryRemove(pair);
                }
            }
            while (_entries.Count >= capacity)
            {
                var soonest = _entries.MinBy(pair => pair.Value.Until);
                if (soonest.Key is null || !_entries.TryRemove(soonest))
                {
                    break;
                }
            }
        }
    }
}
