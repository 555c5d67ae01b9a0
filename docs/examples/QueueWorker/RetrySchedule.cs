namespace QueueWorker;

/// <summary>
/// When to try again, when to warn the sender, and when to give up. Exponential backoff from
/// <see cref="FirstRetry"/>, doubling per attempt up to <see cref="MaxInterval"/>, as Postfix's
/// minimal_backoff_time/maximal_backoff_time; giving up <see cref="GiveUpAfter"/> after the message was queued
/// (Postfix's maximal_queue_lifetime, 5 days; RFC 5321 4.5.4.1 asks for at least 4-5 days).
/// </summary>
internal sealed record RetrySchedule
{
    /// <summary>The wait after the first attempt.</summary>
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest wait between attempts (RFC 5321 4.5.4.1: at least 30 minutes is usual).</summary>
    public TimeSpan MaxInterval { get; init; } = TimeSpan.FromHours(4);

    /// <summary>The age at which a message still not delivered fails (failure notification).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromDays(5);

    /// <summary>The age after which a delay notification is sent, once (Postfix's delay_warning_time).</summary>
    public TimeSpan DelayWarningAfter { get; init; } = TimeSpan.FromHours(4);

    /// <summary>The wait after <paramref name="attempts"/> attempts (1 or more): FirstRetry × 2^(attempts-1), capped.</summary>
    public TimeSpan Interval(int attempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        var interval = FirstRetry;
        for (var i = 1; i < attempts && interval < MaxInterval; i++)
        {
            interval += interval;
        }
        return interval < MaxInterval ? interval : MaxInterval;
    }

    /// <summary>When a message attempted <paramref name="attempts"/> times, last at <paramref name="now"/>, is due again.</summary>
    public DateTimeOffset NextAttempt(int attempts, DateTimeOffset now) => now + Interval(attempts);

    /// <summary>Until when a message queued at <paramref name="queuedAt"/> is retried (Will-Retry-Until, RFC 3464 2.3.9).</summary>
    public DateTimeOffset RetryUntil(DateTimeOffset queuedAt) => queuedAt + GiveUpAfter;

    /// <summary>True when an attempt at <paramref name="now"/> is the last one: the message is old enough to give up.</summary>
    public bool IsFinalAttempt(DateTimeOffset queuedAt, DateTimeOffset now) => now >= RetryUntil(queuedAt);

    /// <summary>True when a delay notification is due at <paramref name="now"/> (it is sent only once).</summary>
    public bool IsDelayWarningDue(DateTimeOffset queuedAt, DateTimeOffset now) => now - queuedAt >= DelayWarningAfter;
}
