using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Dane;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Delivery;

/// <summary>How strictly a REQUIRETLS request (RFC 8689) is honoured, shaped like Postfix's smtp_requiretls_policy.</summary>
public enum RequireTlsPolicy
{
    /// <summary>Enforce RFC 8689: only a host reached with STARTTLS, verified by DANE or MTA-STS, announcing REQUIRETLS.</summary>
    Enforce,
    /// <summary>Verified TLS is required, but a host without the REQUIRETLS extension is accepted (the request is not passed on).</summary>
    OpportunisticStartTls,
    /// <summary>Try to meet the request, but deliver anyway (with whatever TLS there is) when it cannot be met.</summary>
    Opportunistic,
    /// <summary>Ignore REQUIRETLS requests.</summary>
    Disable,
}

/// <summary>One message for the recipients of one domain.</summary>
public sealed record DeliveryRequest
{
    /// <summary>The envelope sender; <see cref="EnvelopeAddress.NullReversePath"/> for a bounce.</summary>
    public required EnvelopeAddress MailFrom { get; init; }

    /// <summary>The recipients, all in the same domain (or at the same address literal).</summary>
    public required IReadOnlyList<EnvelopeAddress> Recipients { get; init; }

    /// <summary>The message with CRLF line ends; opened once per transaction.</summary>
    public required Func<Stream> OpenMessage { get; init; }

    /// <summary>The message size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>
    /// What the message needs: 8BITMIME, SMTPUTF8, and <see cref="DeliveryRequirements.RequireTls"/> when the
    /// sender requested REQUIRETLS (RFC 8689 4), the one place that says so.
    /// </summary>
    public DeliveryRequirements Requirements { get; init; }

    /// <summary>True when <see cref="Requirements"/> has <see cref="DeliveryRequirements.RequireTls"/>.</summary>
    public bool RequireTls => (Requirements & DeliveryRequirements.RequireTls) != 0;

    /// <summary>The message has "TLS-Required: No" (RFC 8689 5): verification errors are recorded but ignored.</summary>
    public bool TlsRequiredNo { get; init; }

    /// <summary>
    /// The addresses dialed for this message in earlier attempts; the deliverer adds to it. Keep one per
    /// message between attempts (RFC 5321 5.1: other family first, same address for greylisting); a
    /// fresh one when <c>null</c>.
    /// </summary>
    public DialHistory? DialHistory { get; init; }
}

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
}

/// <summary>What happened to one recipient.</summary>
public enum RecipientStatus
{
    /// <summary>The server accepted the message for the recipient.</summary>
    Delivered,
    /// <summary>Refused for good: bounce.</summary>
    Permanent,
    /// <summary>Not delivered this time: retry later.</summary>
    Transient,
    /// <summary>
    /// The whole message was sent but no reply to the end of data came: the server may have accepted it.
    /// Never retried at another host within the attempt; the queue decides between a later retry, which
    /// risks a duplicate, and giving up (RFC 1047).
    /// </summary>
    Uncertain,
}

/// <summary>The outcome for one recipient.</summary>
/// <param name="Address">The recipient.</param>
/// <param name="Status">Delivered, permanent or transient.</param>
/// <param name="Response">The server's reply, when there was one.</param>
/// <param name="Error">Why it was not delivered; empty when delivered.</param>
public sealed record RecipientOutcome(EnvelopeAddress Address, RecipientStatus Status, SmtpResponse? Response, string Error);

/// <summary>One connection attempt.</summary>
/// <param name="Host">The MX host.</param>
/// <param name="Address">The address dialed, when one was.</param>
/// <param name="TlsStatus">The TLS status in the form Postfix logs it (docs/delivery.md).</param>
/// <param name="VerifiedDaneRecord">The TLSA record that verified the certificate.</param>
/// <param name="Error">Why the attempt failed; empty on success.</param>
public sealed record DeliveryAttempt(Domain Host, IPAddress? Address, TlsStatus TlsStatus, TlsaRecord? VerifiedDaneRecord, string Error);

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
