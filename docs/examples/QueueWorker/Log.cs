using Microsoft.Extensions.Logging;
using SmtpDeliver.Bounces;
using SmtpDeliver.TlsRpt.Reporting;

namespace QueueWorker;

/// <summary>The worker's log events.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "envelope {Id} unreadable: moved to hold")]
    public static partial void UnreadableEnvelope(ILogger logger, string id);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "envelope {Id} has a bad address ({Error}): moved to hold")]
    public static partial void BadEnvelope(ILogger logger, string id, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "delivery batch failed; retried later")]
    public static partial void BatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "message {Id} to {Recipient}: sent, but no verdict ({Error}); held, not resent: check the receiver and release or drop it by hand")]
    public static partial void Uncertain(ILogger logger, string id, string recipient, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "notification {NotificationId} ({Action}) for message {Id} queued to {Recipient}")]
    public static partial void NotificationQueued(ILogger logger, string notificationId, string id, DsnAction action, string recipient);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "no notification for message {Id}: {Reason}")]
    public static partial void NotificationSuppressed(ILogger logger, string id, BounceSuppression? reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "TLSRPT report {Id} not delivered ({Action})")]
    public static partial void ReportNotDelivered(ILogger logger, string id, DsnAction action);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "TLSRPT {PolicyDomain}: {Status}")]
    public static partial void TlsRptDomain(ILogger logger, string policyDomain, TlsRptDomainReportStatus status);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "TLSRPT {PolicyDomain}: rua {Rua} refused: {Refusal} {Detail}")]
    public static partial void TlsRptRuaRefused(ILogger logger, string policyDomain, string rua, TlsRptRuaRefusal refusal, string detail);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "TLSRPT {PolicyDomain}: posted to {Rua}: accepted {Accepted}, status {StatusCode} {Detail}")]
    public static partial void TlsRptPosted(ILogger logger, string policyDomain, string rua, bool accepted, int? statusCode, string detail);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "TLSRPT report {Id} for {PolicyDomain} queued")]
    public static partial void TlsRptReportQueued(ILogger logger, string id, string policyDomain);
}
