namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>A cached policy and its id.</summary>
/// <param name="Id">The id of the _mta-sts record the policy was fetched for.</param>
/// <param name="Policy">The policy.</param>
/// <param name="Expires">When max_age runs out.</param>
public sealed record CachedMtaStsPolicy(string Id, MtaStsPolicy Policy, DateTimeOffset Expires);
