using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Names;
using SmtpDeliver.Sasl;

namespace SmtpDeliver;


/// <summary>
/// How one SMTP session is set up, for <see cref="SmtpClientSession.ConnectAsync(System.Net.Sockets.Socket, SmtpSessionOptions, CancellationToken)"/>:
/// who we are (<see cref="EhloHostname"/>, required), whom we talk to (<see cref="RemoteHostname"/>), how TLS
/// is done and verified, authentication, timeouts and limits.
/// </summary>
public sealed record SmtpSessionOptions
{
    /// <summary>Our host name for EHLO/HELO, sent in ASCII form. Required.</summary>
    public Domain EhloHostname { get; init; }

    /// <summary>
    /// The server's host name: the TLS server name (SNI) and the name PKIX verifies; empty (the default)
    /// for none, in which case no name is sent or verified.
    /// </summary>
    public Domain RemoteHostname { get; init; }

    /// <summary>How to do TLS; STARTTLS when offered by default.</summary>
    public TlsMode TlsMode { get; init; } = TlsMode.Opportunistic;

    /// <summary>
    /// Fail the TLS handshake when the server certificate does not pass PKIX verification for
    /// <see cref="RemoteHostname"/>. PKIX is evaluated and recorded on every handshake either way.
    /// </summary>
    public bool EnforcePkix { get; init; }

    /// <summary>
    /// When set, AUTH is done after EHLO (and STARTTLS): the selector gets the server's mechanisms and
    /// returns the mechanism to run. Returning <c>null</c> fails the connection with a permanent error.
    /// </summary>
    public SaslClientSelector? Auth { get; init; }

    /// <summary>
    /// What the connection must offer before AUTH of any mechanism: by default TLS with a verified server
    /// certificate (PKIX or DANE). Weaker settings are named and documented with their risk on
    /// <see cref="SmtpDeliver.AuthSecurity"/>. A refused AUTH sends nothing.
    /// </summary>
    public AuthSecurity AuthSecurity { get; init; } = AuthSecurity.VerifiedTls;

    /// <summary>Roots for PKIX verification instead of the system's trust store.</summary>
    public X509Certificate2Collection? RootCertificates { get; init; }

    /// <summary>A client certificate (with private key) to present in the TLS handshake.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>
    /// TLSA records of the server (RFC 7672). When not <c>null</c>, even when empty, DANE is verified on
    /// every TLS handshake before PKIX; a mismatch fails the connection (unless
    /// <see cref="IgnoreTlsVerifyErrors"/>) and is recorded in <see cref="HostResult"/>. Pass only records
    /// from DNSSEC-authentic answers, filtered with <see cref="Dane.TlsaRecord.IsUsableForSmtp"/>.
    /// </summary>
    public IReadOnlyList<Dane.TlsaRecord>? DaneRecords { get; init; }

    /// <summary>
    /// Further names the certificate may be valid for with DANE-TA (and PKIX usages), besides the remote
    /// host name: e.g. the MX name before CNAME expansion (RFC 7672 3.2.2).
    /// </summary>
    public IReadOnlyList<Domain> DaneMoreHostnames { get; init; } = [];

    /// <summary>
    /// Verify and record as usual, but continue when PKIX (or DANE) verification fails, e.g. for a
    /// message with "TLS-Required: No" (RFC 8689 5).
    /// </summary>
    public bool IgnoreTlsVerifyErrors { get; init; }

    /// <summary>
    /// TLSRPT result for the recipient domain (policy MTA-STS or none): counts sessions and records
    /// PKIX failures. When <c>null</c>, results are recorded into a private result.
    /// </summary>
    public TlsRpt.TlsRptResult? RecipientDomainResult { get; init; }

    /// <summary>
    /// TLSRPT result for the MX host (policy DANE or none): counts sessions and records DANE failures.
    /// When <c>null</c>, results are recorded into a private result.
    /// </summary>
    public TlsRpt.TlsRptResult? HostResult { get; init; }

    /// <summary>Where the client logs; the protocol trace is logged at Trace level.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Where the session's meter ("SmtpDeliver", docs/telemetry.md) is created, e.g. the host's
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> from dependency injection; <c>null</c> (the
    /// default) for a static meter of that name.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Show AUTH exchanges in the protocol trace instead of "***". Never enable this in production: it
    /// logs credentials. Message data is never traced, only its size.
    /// </summary>
    public bool TraceSensitive { get; init; }

    /// <summary>Timeouts for each step.</summary>
    public SmtpTimeouts Timeouts { get; init; } = SmtpTimeouts.Default;

    /// <summary>
    /// A bound on the whole session, from the greeting to the last reply: no read, write or handshake
    /// goes past it, whatever the per-step <see cref="Timeouts"/> allow. <c>null</c> (the default) for none.
    /// </summary>
    public TimeSpan? SessionTimeout { get; init; }

    /// <summary>
    /// The clock for every deadline and timer of the session (each reply, write, TLS handshake, AUTH step,
    /// <see cref="SessionTimeout"/>) and for certificate validity in PKIX and DANE verification.
    /// <see cref="TimeProvider.System"/> by default; tests pass a fake clock to make timeouts happen without waiting.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Send messages with BDAT (RFC 3030 CHUNKING) when the server announced CHUNKING and PIPELINING: MAIL, every
    /// RCPT and the message in one write for a message of up to 64 KiB (docs/chunking.md). True by default; false
    /// sends DATA. A message that needs <see cref="DeliveryRequirements.BinaryMime"/> always goes with BDAT, as DATA
    /// cannot carry it.
    /// </summary>
    public bool UseChunking { get; init; } = true;

    /// <summary>Caps on reply sizes.</summary>
    public ReplyLimits Limits { get; init; } = ReplyLimits.Default;

    /// <summary>
    /// The local and remote addresses, for TLSRPT failure details, when the connection is given as a
    /// <see cref="Stream"/> (for a <see cref="System.Net.Sockets.Socket"/> they are read from it).
    /// </summary>
    public IPEndPoint? LocalEndPoint { get; init; }

    /// <inheritdoc cref="LocalEndPoint"/>
    public IPEndPoint? RemoteEndPoint { get; init; }
}
