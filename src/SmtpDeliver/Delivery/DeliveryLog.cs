using Microsoft.Extensions.Logging;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>Source-generated log messages of the deliverer (event ids 40 and up; docs/telemetry.md).</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "delivery attempt to {Host} ({Address}): tls {TlsStatus}, dane record {DaneRecord}, mta-sts policy {MtaStsPolicyId}, error {Error}")]
    public static partial void DeliveryAttempt(ILogger logger, Domain host, System.Net.IPAddress? address, TlsStatus tlsStatus, TlsaRecord? daneRecord, string? mtaStsPolicyId, string error);

    [LoggerMessage(EventId = 41, Level = LogLevel.Debug, Message = "reusing smtp session to {Destination}: use {Uses}, {Transactions} transactions so far")]
    public static partial void SessionReused(ILogger logger, DestinationKey destination, int uses, int transactions);

    [LoggerMessage(EventId = 42, Level = LogLevel.Debug, Message = "closing smtp session to {Destination}: {Reason}, after {Uses} uses and {Transactions} transactions")]
    public static partial void SessionClosed(ILogger logger, DestinationKey destination, string reason, int uses, int transactions);

    [LoggerMessage(EventId = 43, Level = LogLevel.Information, Message = "reused smtp session to {Destination} failed before the message was sent, retrying on a new connection: {Error}")]
    public static partial void StaleSessionRetried(ILogger logger, DestinationKey destination, string error);
}
