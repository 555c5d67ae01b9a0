using System.Collections.Concurrent;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>An in-memory <see cref="IMtaStsCache"/>; thread-safe.</summary>
public sealed class InMemoryMtaStsCache : IMtaStsCache
{
    private readonly ConcurrentDictionary<string, CachedMtaStsPolicy> _policies = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public bool TryGet(Domain domain, out CachedMtaStsPolicy policy) => _policies.TryGetValue(domain.Ascii, out policy!);

    /// <inheritdoc/>
    public void Store(Domain domain, CachedMtaStsPolicy policy) => _policies[domain.Ascii] = policy;
}
