namespace SmtpDeliver.IntegrationTests.Queue;

/// <summary>The queue's clock, moved by the test (due times, backoff, TLSRPT days); network timeouts stay real.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
