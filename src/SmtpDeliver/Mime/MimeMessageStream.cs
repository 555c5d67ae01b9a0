using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using MimeKit;

namespace SmtpDeliver.Mime;

/// <summary>
/// A read-only stream of a MimeKit message, produced on demand: the first read starts MimeKit writing the
/// message into a <see cref="Pipe"/> with pooled segments; each read takes what is there. At most
/// <see cref="PauseThreshold"/> bytes are buffered, and a writer ahead of its reader waits without a thread.
/// Disposing the stream stops the writer and returns the segments to the pool. Asynchronous reads only.
/// Streams of the same message are written one after the other (<see cref="MimeWriteGate"/>): read one to its
/// end, or dispose it, before waiting on the next.
/// </summary>
internal sealed class MimeMessageStream : Stream
{
    /// <summary>
    /// The writer waits when this many bytes are unread: two BDAT chunks, so MimeKit can write the next chunk
    /// while the session sends one. Each wait suspends MimeKit's whole chain of asynchronous writers (about a
    /// kilobyte of state machines), so a message below this size is written without any.
    /// </summary>
    internal const int PauseThreshold = 2 * BdatWriter.ChunkSize;
    private const int ResumeThreshold = BdatWriter.ChunkSize;
    private const int SegmentSize = 16 * 1024;

    private static readonly PipeOptions Options = new(
        pool: MemoryPool<byte>.Shared,
        pauseWriterThreshold: PauseThreshold,
        resumeWriterThreshold: ResumeThreshold,
        minimumSegmentSize: SegmentSize,
        useSynchronizationContext: false);

    private const string ForwardOnly = "a MIME message stream is read forward, as MimeKit writes it: it cannot seek";
    private const string ReadOnly = "a MIME message stream is read only: MimeKit writes the message into it";

    private readonly MimeMessage _message;
    private readonly FormatOptions _format;
    // The measured size, which the bytes written must match; null when the message was not measured.
    private readonly long? _size;
    // Pipes are reused once both their ends completed (Reset): a new pipe per message would allocate its
    // segment objects again each time. A few are kept; the pool never grows past that.
    private const int MaxIdlePipes = 64;
    private static readonly ConcurrentQueue<Pipe> IdlePipes = new();
    private static int s_idlePipes;

    private readonly Pipe _pipe = RentPipe();
    private readonly CancellationTokenSource _stop = new();
    private Task? _producer;
    private long _read;
    private int _disposed;

    /// <summary>
    /// A stream of <paramref name="message"/> written with <paramref name="format"/>: of exactly
    /// <paramref name="size"/> bytes, or failing with <see cref="MimeMessageChangedException"/>; or, with no size,
    /// of whatever one write gives (a message delivered without measuring).
    /// </summary>
    public MimeMessageStream(MimeMessage message, FormatOptions format, long? size)
    {
        _message = message;
        _format = format;
        _size = size;
    }

    /// <summary>The writer's task, for tests: it never faults (its errors go to the reader).</summary>
    internal Task? Producer => _producer;

    public override bool CanRead => Volatile.Read(ref _disposed) == 0;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _size ?? throw new NotSupportedException("the message was not measured: its length is known once read");

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException(ForwardOnly);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        _producer ??= ProduceAsync();
        var reader = _pipe.Reader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var data = result.Buffer;
            if (!data.IsEmpty)
            {
                var n = (int)Math.Min(data.Length, buffer.Length);
                data.Slice(0, n).CopyTo(buffer.Span);
                reader.AdvanceTo(data.GetPosition(n));
                _read += n;
                return n;
            }
            reader.AdvanceTo(data.End);
            if (result.IsCompleted)
            {
                return 0;
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Not supported: the bytes are produced asynchronously, and a synchronous read would block a thread on them.</summary>
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("a MIME message stream is read with ReadAsync");

    public override void Flush()
    {
    }

    // The Stream contract for a forward-only read stream (CanSeek and CanWrite are false): these members throw
    // NotSupportedException, saying why, as DeadlineStream's do.
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException(ForwardOnly);

    public override void SetLength(long value) => throw new NotSupportedException(ReadOnly);

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException(ReadOnly);

    public override async ValueTask DisposeAsync()
    {
        // Only the call that stopped the stream returns the pipe: two disposals at once must not pool it twice.
        if (TryStop(out var producer))
        {
            if (producer is not null)
            {
                // Never faults; woken by the completed reader or the cancellation.
                await producer.ConfigureAwait(false);
            }
            else
            {
                await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            // Both ends are complete and nothing uses the pipe any more.
            ReturnPipe(_pipe);
            _stop.Dispose();
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The producer stops by itself once it sees the reader gone; nothing waits for it here, and the pipe
            // is left to the garbage collector rather than pooled while the producer may still write to it.
            TryStop(out _);
        }
        base.Dispose(disposing);
    }

    private static Pipe RentPipe()
    {
        if (IdlePipes.TryDequeue(out var pipe))
        {
            Interlocked.Decrement(ref s_idlePipes);
            return pipe;
        }
        return new Pipe(Options);
    }

    private static void ReturnPipe(Pipe pipe)
    {
        pipe.Reset();
        if (Interlocked.Increment(ref s_idlePipes) <= MaxIdlePipes)
        {
            IdlePipes.Enqueue(pipe);
        }
        else
        {
            Interlocked.Decrement(ref s_idlePipes);
        }
    }

    /// <summary>Stops the stream once: false when it was already stopped.</summary>
    private bool TryStop(out Task? producer)
    {
        producer = null;
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }
        _pipe.Reader.Complete();
        _stop.Cancel();
        producer = _producer;
        return true;
    }

    // Writes the message into the pipe; every failure, including a size that differs from the measured one,
    // completes the writer with it, so the reader's next read throws it and the task itself never faults.
    // It starts inside the first read and runs until the pipe is full (or the message written): a message that
    // fits is written without a thread switch or a task of its own, and a larger one goes on when the reader frees
    // room.
    private async Task ProduceAsync()
    {
        Exception? error = null;
        try
        {
            var token = _stop.Token;
            var gate = MimeWriteGate.For(_message);
            await gate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                var sink = new PipeSinkStream(_pipe.Writer, _size ?? long.MaxValue);
                await _message.WriteToAsync(_format, sink, token).ConfigureAwait(false);
                await sink.FlushAllAsync(token).ConfigureAwait(false);
                if (_size is { } size && sink.Written != size)
                {
                    error = new MimeMessageChangedException(size, sink.Written, atLeast: false);
                }
            }
            finally
            {
                gate.Release();
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        await _pipe.Writer.CompleteAsync(error).ConfigureAwait(false);
    }
}
