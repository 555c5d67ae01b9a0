namespace SmtpDeliver.Smtp;

/// <summary>
/// Wraps the connection's current stream (plain or TLS) and gives every read and write its own
/// timeout, set by the caller before the operation, combined with the caller's cancellation token.
/// A timeout surfaces as <see cref="TimeoutException"/>; the caller's cancellation as
/// <see cref="OperationCanceledException"/>. The timer is reused, so an operation allocates nothing.
/// </summary>
internal sealed class DeadlineStream : Stream
{
    // Reads and writes run concurrently in pipelined transactions: each has its own timer.
    private CancellationTokenSource _readTimer = new();
    private CancellationTokenSource _writeTimer = new();

    public DeadlineStream(Stream inner) => Inner = inner;

    /// <summary>The stream operations go to; replaced after a TLS handshake.</summary>
    public Stream Inner { get; set; }

    /// <summary>Timeout for the next reads.</summary>
    public TimeSpan ReadTimeoutSpan { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout for the next writes.</summary>
    public TimeSpan WriteTimeoutSpan { get; set; } = TimeSpan.FromMinutes(5);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException("an smtp connection has no length");
    public override long Position
    {
        get => throw new NotSupportedException("an smtp connection has no position");
        set => throw new NotSupportedException("an smtp connection has no position");
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var token = Arm(ref _readTimer, ReadTimeoutSpan, cancellationToken, out var registration);
        try
        {
            return await Inner.ReadAsync(buffer, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no data from remote within {ReadTimeoutSpan.TotalSeconds:0.###}s");
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var token = Arm(ref _writeTimer, WriteTimeoutSpan, cancellationToken, out var registration);
        try
        {
            await Inner.WriteAsync(buffer, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"remote did not accept data within {WriteTimeoutSpan.TotalSeconds:0.###}s");
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }
    }

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

    private static CancellationToken Arm(ref CancellationTokenSource timer, TimeSpan timeout, CancellationToken cancellationToken, out CancellationTokenRegistration registration)
    {
        if (!timer.TryReset())
        {
            timer.Dispose();
            timer = new CancellationTokenSource();
        }
        timer.CancelAfter(timeout);
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
