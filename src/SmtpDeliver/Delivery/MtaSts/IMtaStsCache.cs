using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>Where fetched policies are kept between deliveries (RFC 8461 5.1).</summary>
public interface IMtaStsCache
{
    /// <summary>
    /// The cached policy of a domain (expired or not), or <c>null</c>. Called on every delivery to a domain with an
    /// MTA-STS record: an implementation over a network store must not block, and must not throw for a store
    /// that is down (a miss makes the policy be fetched again).
    /// </summary>
    ValueTask<CachedMtaStsPolicy?> GetAsync(Domain domain, CancellationToken cancellationToken);

    /// <summary>Stores a domain's policy, just fetched.</summary>
    ValueTask StoreAsync(Domain domain, CachedMtaStsPolicy policy, CancellationToken cancellationToken);
}
