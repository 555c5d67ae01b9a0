using QueueWorker;

namespace SmtpDeliver.IntegrationTests.Queue;

/// <summary>The example's backoff schedule and options (no servers needed).</summary>
public class RetryScheduleTests
{
    private static readonly DateTimeOffset T = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_interval_doubles_from_the_first_retry_up_to_the_cap()
    {
        var s = new RetrySchedule();
        Assert.Equal([5, 10, 20, 40, 80, 160, 240, 240], Enumerable.Range(1, 8).Select(a => s.Interval(a).TotalMinutes));
        Assert.Equal(TimeSpan.FromHours(4), s.Interval(int.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Interval(0));
        Assert.Equal(T.AddMinutes(20), s.NextAttempt(3, T));
    }

    [Fact]
    public void Give_up_and_delay_warning_are_measured_from_the_queue_time()
    {
        var s = new RetrySchedule();
        Assert.False(s.IsFinalAttempt(T, T.AddDays(5).AddTicks(-1)));
        Assert.True(s.IsFinalAttempt(T, T.AddDays(5)));
        Assert.Equal(T.AddDays(5), s.RetryUntil(T));
        Assert.False(s.IsDelayWarningDue(T, T.AddHours(4).AddTicks(-1)));
        Assert.True(s.IsDelayWarningDue(T, T.AddHours(4)));
    }

    [Fact]
    public void Command_line_options_override_the_config_file()
    {
        var config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, """{ "SpoolDirectory": "/var/spool/q", "EhloHostname": "mx.example.org", "Port": 2525, "Retry": { "FirstRetry": "00:01:00" } }""");
            var o = WorkerOptions.Parse(["--config", config, "--port", "20025", "--resolver", "127.0.0.1:53"]);
            Assert.Equal(("/var/spool/q", "mx.example.org", 20025, "127.0.0.1:53", TimeSpan.FromMinutes(1)), (o.SpoolDirectory, o.EhloHostname, o.Port, o.DnsResolver, o.Retry.FirstRetry));
            Assert.Throws<FormatException>(() => WorkerOptions.Parse(["--spool", "x"]));
            Assert.Throws<FormatException>(() => WorkerOptions.Parse(["--ehlo", "a.example", "--bogus", "1"]));
            Assert.Throws<FormatException>(() => WorkerOptions.Parse(["--ehlo"]));
        }
        finally
        {
            File.Delete(config);
        }
    }
}
