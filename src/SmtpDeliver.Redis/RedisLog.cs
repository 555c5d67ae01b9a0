using Microsoft.Extensions.Logging;

namespace SmtpDeliver.Redis;

/// <summary>The package's log messages.</summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "mta-sts cache: redis read of {Domain} failed, using the in-process copy if any")]
    public static partial void PolicyReadFailed(ILogger logger, string domain, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "mta-sts cache: redis write of {Domain} failed; the policy is kept in process only")]
    public static partial void PolicyWriteFailed(ILogger logger, string domain, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "mta-sts cache: the redis value of {Domain} is invalid ({Reason}); treated as a cache miss")]
    public static partial void PolicyInvalid(ILogger logger, string domain, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "tlsrpt store: redis increment for {Domain} failed; these counts are lost")]
    public static partial void IncrementFailed(ILogger logger, string domain, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "tlsrpt store: {Dropped} counters of {Domain} not created (per-day or per-domain limit reached)")]
    public static partial void CountersDropped(ILogger logger, string domain, long dropped);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "tlsrpt store: counter of {Domain} with a non-integer value skipped")]
    public static partial void CounterInvalid(ILogger logger, string domain);
}
