using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Delivery;

/// <summary>The outcome of <see cref="Deliverer.DeliverAsync"/>: per recipient, per attempt, and the TLSRPT results.</summary>
/// <param name="Recipients">One outcome per recipient, in request order.</param>
/// <param name="Attempts">Every connection attempt, in order; the last successful one delivered.</param>
/// <param name="RecipientDomainResult">TLSRPT result for the recipient domain (MTA-STS or no policy).</param>
/// <param name="HostResults">TLSRPT results for each MX host tried (DANE or no policy).</param>
public sealed record DeliveryOutcome(IReadOnlyList<RecipientOutcome> Recipients, IReadOnlyList<DeliveryAttempt> Attempts, TlsRptResult RecipientDomainResult, IReadOnlyList<TlsRptResult> HostResults)
{
    /// <summary>The id of the MTA-STS policy in effect, if any.</summary>
    public string? MtaStsPolicyId { get; init; }
}
