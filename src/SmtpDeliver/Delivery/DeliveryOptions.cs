using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>How the deliverer works: resolver, dialer, names, roots, timeouts, policy.</summary>
public sealed record DeliveryOptions
{
    /// <summary>A validating resolver (docs/dns.md).</summary>
    public required IDnsResolver Resolver { get; init; }

    /// <summary>Our host name for EHLO.</summary>
    public required Domain EhloHostname { get; init; }

    /// <summary>The dialer; stateless, shared by concurrent deliveries.</summary>
    public Dialer Dialer { get; init; } = new();

    /// <summary>The SMTP port, 25 but for tests.</summary>
    public int Port { get; init; } = 25;

    /// <summary>PKIX roots instead of the system's.</summary>
    public X509Certificate2Collection? RootCertificates { get; init; }

    /// <summary>Timeouts of each session.</summary>
    public SmtpTimeouts Timeouts { get; init; } = SmtpTimeouts.Default;

    /// <summary>How REQUIRETLS requests are honoured.</summary>
    public RequireTlsPolicy RequireTlsPolicy { get; init; } = RequireTlsPolicy.Enforce;

    /// <summary>
    /// Whether MTA-STS (RFC 8461) is applied, as a real MTA does: on by default. Turning it off lets an
    /// active attacker strip TLS or present any certificate to domains that publish a policy.
    /// </summary>
    public bool UseMtaSts { get; init; } = true;

    /// <summary>
    /// Where MTA-STS policies come from; <c>null</c> for one created by the deliverer over
    /// <see cref="Resolver"/> with <see cref="RootCertificates"/> and an in-memory cache kept for its lifetime.
    /// </summary>
    public MtaSts.MtaStsPolicySource? MtaSts { get; init; }

    /// <summary>
    /// A bound on one <see cref="Deliverer.DeliverAsync"/> call: DNS, every connection and every
    /// transaction. When it passes, recipients not yet done are transient (or uncertain, when their message
    /// data was sent without a reply). <c>null</c> (the default) for none beyond the per-step timeouts.
    /// </summary>
    public TimeSpan? DeliveryTimeout { get; init; }

    /// <summary>
    /// The clock for the whole delivery: <see cref="DeliveryTimeout"/>, the time left for dialing and for each
    /// session, the dialer's per-address timeouts (the <see cref="Dialer"/> is used on this clock), every
    /// SMTP deadline and certificate validity (<see cref="SmtpSessionOptions.TimeProvider"/>), and the default
    /// MTA-STS source's cache and fetch deadline (an <see cref="MtaSts"/> source given here keeps its own
    /// <see cref="Delivery.MtaSts.MtaStsPolicySource.TimeProvider"/>). <see cref="TimeProvider.System"/> by default;
    /// tests pass a fake clock. DNS lookups keep the resolver's own timeouts.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Randomness for ordering equal-preference MX hosts (RFC 5321 5.1); <see cref="Random.Shared"/> when <c>null</c>.</summary>
    public Random? Random { get; init; }

    /// <summary>Where sessions log.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Where the meter ("SmtpDeliver", docs/telemetry.md) of the deliverer and its sessions is created;
    /// <c>null</c> (the default) for a static meter of that name.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Whether and how idle sessions are kept for later messages to the same MX address, as Postfix's
    /// connection cache (docs/connection-reuse.md): on by default; <see cref="ConnectionReuseOptions.Disabled"/>
    /// turns it off.
    /// </summary>
    public ConnectionReuseOptions ConnectionReuse { get; init; } = ConnectionReuseOptions.Default;

    /// <summary>
    /// At most this many delivery attempts of this deliverer use connections to one MX address (host name,
    /// address, port) at once; further ones wait. 20 by default, Postfix's default_destination_concurrency_limit.
    /// Idle sessions do not count.
    /// </summary>
    public int DestinationConcurrencyLimit { get; init; } = 20;
}
