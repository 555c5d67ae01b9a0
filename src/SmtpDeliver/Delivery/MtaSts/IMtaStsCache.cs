using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>Where fetched policies are kept between deliveries (RFC 8461 5.1).</summary>
public interface IMtaStsCache
{
    /// <summary>The cached policy of a domain, if any (expired or not).</summary>
    bool TryGet(Domain domain, out CachedMtaStsPolicy policy);

    /// <summary>Stores a domain's policy.</summary>
    void Store(Domain domain, CachedMtaStsPolicy policy);
}
