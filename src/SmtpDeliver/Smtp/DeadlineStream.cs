using System.Runtime.CompilerServices;

namespace SmtpDeliver;

/// <summary>
/// Wraps the connection's current stream (plain or TLS) and bounds reads and writes by deadlines: one
/// deadline for everything read until the caller sets the next (a whole reply, however slowly it
/// trickles in), one for writes (optionally also a limit per write), and a session deadline that caps
/// both. A deadline surfaces as <see cref="TimeoutException"/>; the caller's cancellation as
/// <see cref="OperationCanceledException"/>. The timers are reused, so an operation allocates nothing.
/// </summary>
internal sealed class DeadlineStream : Stream
{
    // Reads and writes run concurrently in pipelined transactions: each has its own timer.
    private readonly TimeProvider _time;
    private CancellationTokenSource _readTimer;
    private CancellationTokenSource _writeTimer;
    private long _readDeadline = long.MaxValue;
    private long _writeDeadline = long.MaxValue;
    private long _sessionDeadline = long.MaxValue;
    private TimeSpan _readSpan = TimeSpan.FromMinutes(5);
    private TimeSpan _writeSpan = TimeSpan.FromMinutes(5);
    private TimeSpan? _perWrite;
    // Whether the session deadline was the nearest bound of the current read or write.
    private bool _readBySession;
    private bool _writeBySession;

    /// <summary>Bounds <paramref name="inner"/>; every deadline is measured, and every timer runs, on <paramref name="timeProvider"/> (the system clock when <c>null</c>).</summary>
    public DeadlineStream(Stream inner, TimeProvider? timeProvider = null)
    {
        Inner = inner;
        _time = timeProvider ?? TimeProvider.System;
        _readTimer = NewTimer(_time);
        _writeTimer = NewTimer(_time);
    }

    // A source whose CancelAfter runs on the provider's clock. TryReset succeeds only on the system clock's
    // timers; on another provider's it fails and Arm makes a new source, so a fake clock costs an allocation only.
    private static CancellationTokenSource NewTimer(TimeProvider time) => new(Timeout.InfiniteTimeSpan, time);

    /// <summary>The stream operations go to; replaced after a TLS handshake.</summary>
    public Stream Inner { get; set; }

    /// <summary>Starts a read deadline: every read from now until the next call must be done within <paramref name="timeout"/> in all.</summary>
    public void StartReadDeadline(TimeSpan timeout)
    {
        _readSpan = timeout;
        _readDeadline = Deadline(timeout);
    }

    /// <summary>
    /// Starts a write deadline: every write from now until the next call must be done within
    /// <paramref name="timeout"/> in all, and each single write within <paramref name="perWrite"/> when given.
    /// </summary>
    public void StartWriteDeadline(TimeSpan timeout, TimeSpan? perWrite = null)
    {
        _writeSpan = timeout;
        _writeDeadline = Deadline(timeout);
        _perWrite = perWrite;
    }

    /// <summary>Moves the current write deadline <paramref name="more"/> later (an infinite deadline stays infinite).</summary>
    public void ExtendWriteDeadline(TimeSpan more)
    {
        if (_writeDeadline == long.MaxValue)
        {
            return;
        }
        if (more == Timeout.InfiniteTimeSpan || more.TotalSeconds >= SmtpTimeouts.MaxTimerSeconds)
        {
            _writeDeadline = long.MaxValue;
            return;
        }
        var ticks = (long)(Math.Max(0, more.TotalSeconds) * _time.TimestampFrequency);
        _writeDeadline = ticks > long.MaxValue - _writeDeadline ? long.MaxValue : _writeDeadline + ticks;
        _writeSpan += more;
    }

    /// <summary>A deadline for the whole session that no read or write may pass; <c>null</c> for none.</summary>
    public void SetSessionDeadline(TimeSpan? remaining) => _sessionDeadline = remaining is { } r ? Deadline(r) : long.MaxValue;

    /// <summary>The time left until the session deadline; <c>null</c> when there is none.</summary>
    public TimeSpan? SessionTimeLeft => _sessionDeadline == long.MaxValue ? null : Left(_sessionDeadline);

    private long Deadline(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan || timeout.TotalSeconds >= SmtpTimeouts.MaxTimerSeconds)
        {
            return long.MaxValue;
        }
        var ticks = (long)(Math.Max(0, timeout.TotalSeconds) * _time.TimestampFrequency);
        var now = _time.GetTimestamp();
        return ticks > long.MaxValue - now ? long.MaxValue : now + ticks;
    }

    private TimeSpan Left(long deadline) => deadline == long.MaxValue
        ? Timeout.InfiniteTimeSpan
        : TimeSpan.FromSeconds(Math.Max(0, deadline - _time.GetTimestamp()) / (double)_time.TimestampFrequency);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan ? b : b == Timeout.InfiniteTimeSpan ? a : a < b ? a : b;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException("an smtp connection has no length");
    public override long Position
    {
        get => throw new NotSupportedException("an smtp connection has no position");
        set => throw new NotSupportedException("an smtp connection has no position");
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var sessionLeft = Left(_sessionDeadline);
        var left = Min(Left(_readDeadline), sessionLeft);
        _readBySession = left == sessionLeft && sessionLeft != Timeout.InfiniteTimeSpan;
        if (left == TimeSpan.Zero)
        {
            throw ReadDeadlineExceeded();
        }
        var token = Arm(ref _readTimer, left, cancellationToken, out var registration);
        try
        {
            return await Inner.ReadAsync(buffer, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw ReadDeadlineExceeded();
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var sessionLeft = Left(_sessionDeadline);
        var left = Min(Left(_writeDeadline), sessionLeft);
        if (_perWrite is { } perWrite)
        {
            left = Min(left, perWrite);
        }
        _writeBySession = left == sessionLeft && sessionLeft != Timeout.InfiniteTimeSpan;
        if (left == TimeSpan.Zero)
        {
            throw WriteDeadlineExceeded();
        }
        var token = Arm(ref _writeTimer, left, cancellationToken, out var registration);
        try
        {
            await Inner.WriteAsync(buffer, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw WriteDeadlineExceeded();
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    private TimeoutException ReadDeadlineExceeded() => _readBySession
        ? new TimeoutException("session deadline passed while reading from remote")
        : new TimeoutException($"no complete reply from remote within {_readSpan.TotalSeconds:0.###}s");

    private TimeoutException WriteDeadlineExceeded() => _writeBySession
        ? new TimeoutException("session deadline passed while writing to remote")
        : _perWrite is { } p && Left(_writeDeadline) > TimeSpan.Zero
            ? new TimeoutException($"remote did not accept a block of data within {p.TotalSeconds:0.###}s")
            : new TimeoutException($"remote did not accept data within {_writeSpan.TotalSeconds:0.###}s");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    // Synchronous I/O would block a thread on the network; the client never uses it.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("use ReadAsync");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("use WriteAsync");
    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("an smtp connection cannot seek");
    public override void SetLength(long value) => throw new NotSupportedException("an smtp connection has no length");

    private CancellationToken Arm(ref CancellationTokenSource timer, TimeSpan timeout, CancellationToken cancellationToken, out CancellationTokenRegistration registration)
    {
        if (!timer.TryReset())
        {
            timer.Dispose();
            timer = NewTimer(_time);
        }
        SmtpTimeouts.CancelAfter(timer, timeout);
        registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timer)
            : default;
        return timer.Token;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _readTimer.Dispose();
            _writeTimer.Dispose();
        }
        base.Dispose(disposing);
    }
}
