using Microsoft.Extensions.Logging;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>Source-generated log messages of the deliverer (event ids 40 and up; docs/telemetry.md).</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "delivery attempt to {Host} ({Address}): tls {TlsStatus}, dane record {DaneRecord}, mta-sts policy {MtaStsPolicyId}, error {Error}")]
    public static partial void DeliveryAttempt(ILogger logger, Domain host, System.Net.IPAddress? address, TlsStatus tlsStatus, TlsaRecord? daneRecord, string? mtaStsPolicyId, string error);
}
