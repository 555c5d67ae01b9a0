using System.Collections.Concurrent;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>An in-memory <see cref="IMtaStsCache"/>; thread-safe.</summary>
public sealed class InMemoryMtaStsCache : IMtaStsCache
{
    private readonly ConcurrentDictionary<string, CachedMtaStsPolicy> _policies = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public ValueTask<CachedMtaStsPolicy?> GetAsync(Domain domain, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_policies.TryGetValue(domain.Ascii, out var policy) ? policy : null);

    /// <inheritdoc/>
    public ValueTask StoreAsync(Domain domain, CachedMtaStsPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policies[domain.Ascii] = policy;
        return ValueTask.CompletedTask;
    }
}
