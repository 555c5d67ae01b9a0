using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>The policy in effect for a domain, and a failure to report when getting it failed.</summary>
/// <param name="Policy">The policy; <c>null</c> when none applies.</param>
/// <param name="Id">The policy id.</param>
/// <param name="Failure">A TLSRPT detail for a failed fetch or invalid policy.</param>
public sealed record MtaStsLookup(MtaStsPolicy? Policy, string? Id, FailureDetails? Failure);
