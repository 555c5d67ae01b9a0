namespace SmtpDeliver;

/// <summary>
/// A cancellation source that fires after a timeout measured on a <see cref="TimeProvider"/>, or when the
/// caller's token is cancelled: a linked source whose timer runs on the given clock, which
/// <see cref="CancellationTokenSource.CreateLinkedTokenSource(CancellationToken)"/> cannot offer. With
/// <see cref="TimeProvider.System"/> it behaves as a linked source armed with <c>CancelAfter</c>; with a fake
/// clock (tests) the timeout fires when the clock is advanced past it.
/// </summary>
internal sealed class TimeoutSource : CancellationTokenSource
{
    private CancellationTokenRegistration _link;

    private TimeoutSource(TimeProvider timeProvider)
        : base(Timeout.InfiniteTimeSpan, timeProvider)
    {
    }

    /// <summary>
    /// Starts a source cancelled after <paramref name="timeout"/> on <paramref name="timeProvider"/>'s clock
    /// (never, when infinite or beyond a timer's range) or when <paramref name="cancellationToken"/> is.
    /// </summary>
    public static TimeoutSource Start(TimeProvider timeProvider, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = new TimeoutSource(timeProvider);
        SmtpTimeouts.CancelAfter(source, timeout);
        source._link = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);
        return source;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Unlink first, so a late cancellation of the caller's token cannot reach a disposed source.
            _link.Dispose();
        }
        base.Dispose(disposing);
    }
}
