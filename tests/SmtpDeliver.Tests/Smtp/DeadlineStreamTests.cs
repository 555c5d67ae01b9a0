using Microsoft.Extensions.Time.Testing;

namespace SmtpDeliver.Tests.Smtp;

/// <summary>
/// The write deadline of the data phase: fixed from the size when it is known, grown chunk by chunk when it is learnt
/// as the message is sent (a MimeKit message written once over BDAT), never past the bound a known size would give.
/// </summary>
public class DeadlineStreamTests
{
    [Fact]
    public async Task An_extended_write_deadline_allows_writes_until_the_new_bound_and_not_after()
    {
        var clock = new FakeTimeProvider();
        using var stream = new DeadlineStream(new MemoryStream(), clock);
        stream.StartWriteDeadline(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        stream.ExtendWriteDeadline(TimeSpan.FromSeconds(5));
        clock.Advance(TimeSpan.FromSeconds(12));
        await stream.WriteAsync(new byte[10]);
        clock.Advance(TimeSpan.FromSeconds(4));
        var e = await Assert.ThrowsAsync<TimeoutException>(() => stream.WriteAsync(new byte[10]).AsTask());
        Assert.Contains("15", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_extension_the_write_deadline_holds()
    {
        var clock = new FakeTimeProvider();
        using var stream = new DeadlineStream(new MemoryStream(), clock);
        stream.StartWriteDeadline(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(12));
        await Assert.ThrowsAsync<TimeoutException>(() => stream.WriteAsync(new byte[10]).AsTask());
    }

    [Fact]
    public void Growing_the_phase_chunk_by_chunk_ends_at_the_bound_of_the_whole_size()
    {
        var timeouts = new SmtpTimeouts();
        var grown = timeouts.DataPhase(65_536) + timeouts.DataTime(65_536) + timeouts.DataTime(1_000);
        Assert.Equal(timeouts.DataPhase(65_536 + 65_536 + 1_000).TotalSeconds, grown.TotalSeconds, 6);
        Assert.Equal(Timeout.InfiniteTimeSpan, (timeouts with { MinimumDataRate = 0 }).DataTime(1));
    }
}
