using System.Diagnostics.Metrics;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using SmtpDeliver.Diagnostics;

namespace SmtpDeliver;

/// <summary>
/// The instruments of the "SmtpDeliver" meter (docs/telemetry.md). One set per
/// <see cref="IMeterFactory"/>, and one on a static meter for callers without a factory. Names and tags
/// follow the OpenTelemetry naming rules: dotted lower case, units in UCUM, tags that are not semantic
/// conventions under the "smtpdeliver." namespace.
/// </summary>
internal sealed class SmtpMetrics
{
    /// <summary>Histogram, seconds: how long the reply to a command took (see <see cref="RecordCommand"/>).</summary>
    public const string CommandDurationName = "smtpdeliver.client.command.duration";

    /// <summary>Counter: TLS handshakes by outcome.</summary>
    public const string TlsHandshakesName = "smtpdeliver.client.tls.handshakes";

    /// <summary>Counter: recipients at the end of a delivery attempt, by outcome.</summary>
    public const string DeliveryRecipientsName = "smtpdeliver.delivery.recipients";

    /// <summary>Counter: lookups of the deliverer's session pool, by result (hit, miss, stale; docs/connection-reuse.md).</summary>
    public const string SessionPoolName = "smtpdeliver.delivery.session_pool";

    /// <summary>Tag: hit, miss or stale (<see cref="Delivery.SessionPoolResult"/>).</summary>
    public const string SessionPoolResultTag = "smtpdeliver.session_pool.result";

    /// <summary>Tag: the SMTP command a reply answers, lower case (<see cref="SmtpCommand"/>).</summary>
    public const string CommandTag = "smtpdeliver.command";

    /// <summary>Tag: the reply's class, "2xx" to "5xx" (RFC 5321 4.2.1).</summary>
    public const string ReplyClassTag = "smtpdeliver.reply.class";

    /// <summary>Tag: dane, pkix, unverified or failed.</summary>
    public const string TlsOutcomeTag = "smtpdeliver.tls.outcome";

    /// <summary>Tag: the TLSRPT result type recorded for a failed or unverified handshake (RFC 8460 4.3).</summary>
    public const string TlsRptResultTypeTag = "smtpdeliver.tlsrpt.result_type";

    /// <summary>Tag: delivered, permanent, transient or uncertain (the recipient status).</summary>
    public const string DeliveryOutcomeTag = "smtpdeliver.delivery.outcome";

    /// <summary>Semantic-convention tag for the class of error.</summary>
    public const string ErrorTypeTag = "error.type";

    // OpenTelemetry's HTTP duration buckets, extended to the RFC 5321 4.5.3.2 timeouts (up to 10 minutes).
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600];

    private static readonly string[] CommandNames = Enum.GetValues<SmtpCommand>().Select(c => c.ToString().ToLowerInvariant()).ToArray();

    private static readonly ConditionalWeakTable<IMeterFactory, SmtpMetrics> ByFactory = new();

    private static readonly Lazy<SmtpMetrics> Shared = new(() => new SmtpMetrics(new Meter(SmtpTelemetry.MeterName, SmtpTelemetry.Version)));

    private readonly Histogram<double> _commandDuration;
    private readonly Counter<long> _tlsHandshakes;
    private readonly Counter<long> _deliveryRecipients;
    private readonly Counter<long> _sessionPool;

    private SmtpMetrics(Meter meter)
    {
        _commandDuration = meter.CreateHistogram(CommandDurationName, "s",
            "Time from waiting for a reply to a command to having the whole reply; for pipelined commands the first includes the server's work for the group.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _tlsHandshakes = meter.CreateCounter<long>(TlsHandshakesName, "{handshake}", "TLS handshakes by outcome: dane, pkix, unverified, failed.");
        _deliveryRecipients = meter.CreateCounter<long>(DeliveryRecipientsName, "{recipient}", "Recipients at the end of a delivery attempt, by outcome.");
        _sessionPool = meter.CreateCounter<long>(SessionPoolName, "{lookup}", "Lookups of the deliverer's idle sessions: hit (reused), miss (new connection), stale (reused session found closed, retried).");
    }

    /// <summary>The instruments on <paramref name="factory"/>'s meter, or on the static meter without one.</summary>
    public static SmtpMetrics For(IMeterFactory? factory) => factory is null
        ? Shared.Value
        : ByFactory.GetValue(factory, static f => new SmtpMetrics(f.Create(new MeterOptions(SmtpTelemetry.MeterName) { Version = SmtpTelemetry.Version })));

    /// <summary>
    /// Records the time since <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp taken when the
    /// client began waiting for the reply), tagged with the command and the reply class, or with
    /// <paramref name="errorType"/> when no reply came.
    /// </summary>
    public void RecordCommand(SmtpCommand command, long started, int replyCode, string? errorType)
    {
        if (!_commandDuration.Enabled)
        {
            return;
        }
        var tags = new TagList { { CommandTag, CommandNames[(int)command] } };
        if (replyCode > 0)
        {
            tags.Add(ReplyClassTag, ReplyClass(replyCode));
        }
        if (errorType is not null)
        {
            tags.Add(ErrorTypeTag, errorType);
        }
        _commandDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }

    /// <summary>Counts one TLS handshake; <paramref name="resultType"/> is the TLSRPT result type recorded for it, if any.</summary>
    public void CountTlsHandshake(string outcome, string? resultType)
    {
        if (!_tlsHandshakes.Enabled)
        {
            return;
        }
        var tags = new TagList { { TlsOutcomeTag, outcome } };
        if (!string.IsNullOrEmpty(resultType))
        {
            tags.Add(TlsRptResultTypeTag, resultType);
        }
        _tlsHandshakes.Add(1, tags);
    }

    /// <summary>Counts one recipient of a finished delivery attempt with its outcome tag value.</summary>
    public void CountRecipient(string outcome)
    {
        if (_deliveryRecipients.Enabled)
        {
            _deliveryRecipients.Add(1, new KeyValuePair<string, object?>(DeliveryOutcomeTag, outcome));
        }
    }

    /// <summary>Counts one lookup of the deliverer's session pool with its result tag value.</summary>
    public void CountSessionPoolLookup(string result)
    {
        if (_sessionPool.Enabled)
        {
            _sessionPool.Add(1, new KeyValuePair<string, object?>(SessionPoolResultTag, result));
        }
    }

    private static string ReplyClass(int code) => (code / 100) switch
    {
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        5 => "5xx",
        _ => "other",
    };
}

/// <summary>The values of the <see cref="SmtpMetrics.TlsOutcomeTag"/> tag.</summary>
internal static class TlsOutcome
{
    /// <summary>The certificate was verified by DANE (RFC 7672).</summary>
    public const string Dane = "dane";

    /// <summary>The certificate was verified by PKIX (and DANE did not apply).</summary>
    public const string Pkix = "pkix";

    /// <summary>The handshake succeeded but the certificate was not verified (verification not enforced).</summary>
    public const string Unverified = "unverified";

    /// <summary>The handshake failed, or the server rejected the session right after it.</summary>
    public const string Failed = "failed";
}
