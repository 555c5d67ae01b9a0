namespace SmtpDeliver.Diagnostics;

/// <summary>
/// The names under which SmtpDeliver publishes metrics and traces, for <c>AddMeter</c> and
/// <c>AddSource</c> in an OpenTelemetry setup (docs/telemetry.md lists every instrument and tag).
/// </summary>
public static class SmtpTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> with all instruments.</summary>
    public const string MeterName = "SmtpDeliver";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of the session and delivery attempt activities.</summary>
    public const string ActivitySourceName = "SmtpDeliver";

    /// <summary>The activity around one SMTP session, from connecting to closing.</summary>
    public const string SessionActivityName = "smtp session";

    /// <summary>The activity around one <see cref="Delivery.Deliverer.DeliverAsync"/> call.</summary>
    public const string DeliveryAttemptActivityName = "smtp delivery attempt";

    /// <summary>The version the meter and activity source report: the library's assembly version.</summary>
    internal static readonly string? Version = typeof(SmtpTelemetry).Assembly.GetName().Version?.ToString();
}
