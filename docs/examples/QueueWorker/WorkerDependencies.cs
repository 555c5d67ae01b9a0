using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Dns;
using SmtpDeliver.TlsRpt.Reporting;

namespace QueueWorker;

/// <summary>
/// What the worker takes from outside instead of making it: the seams where tests put fakes and where a fleet of
/// workers puts shared stores (docs/queue.md "Shared state").
/// </summary>
internal sealed record WorkerDependencies
{
    /// <summary>The resolver; a <see cref="ValidatingResolver"/> from <see cref="WorkerOptions.DnsResolver"/> when null.</summary>
    public IDnsResolver? Resolver { get; init; }

    /// <summary>The queue's clock (due times, backoff, TLSRPT days); the system clock when null. Network timeouts stay on the system clock.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Where TLSRPT counters live; <see cref="InMemoryTlsRptResultStore"/> when null.</summary>
    public ITlsRptResultStore? TlsRptStore { get; init; }

    /// <summary>Where MTA-STS policies are cached; the library's in-process cache when null.</summary>
    public IMtaStsCache? MtaStsCache { get; init; }
}
