using System.Runtime.CompilerServices;

namespace SmtpDeliver;

/// <summary>
/// What the writer of pipelined BDAT chunks tells the reader of their replies, and back: how many chunks
/// were written whole (the reader waits for chunk k to be written before it starts the deadline for its
/// reply), whether the one with LAST was, and whether the writer should stop (a refusal came: RFC 3030 2
/// says no further chunk may be sent after a 4xx/5xx to one).
/// </summary>
internal sealed class BdatProgress : IDisposable
{
    // One release per chunk written, then one when the writer has ended: the reader's k-th wait takes
    // chunk k's release when there is one, else the end.
    private readonly SemaphoreSlim _signals = new(0);
    private int _written;
    private int _stop;
    private int _lastWritten;
    private int _writerEnded;

    /// <summary>True once the chunk with LAST was written whole: the whole message was sent.</summary>
    public bool LastWritten => Volatile.Read(ref _lastWritten) != 0;

    /// <summary>Whether chunk <paramref name="index"/>, written, is the one with LAST.</summary>
    public bool IsLast(int index) => LastWritten && index == Volatile.Read(ref _written) - 1;

    /// <summary>True when no further chunk should be sent.</summary>
    public bool StopRequested => Volatile.Read(ref _stop) != 0;

    /// <summary>Asks the writer to send no further chunk.</summary>
    public void Stop() => Volatile.Write(ref _stop, 1);

    /// <summary>The writer wrote a chunk whole.</summary>
    public void ChunkWritten(bool last)
    {
        // Counted before LAST is flagged: a reader judging an earlier chunk while this one is being recorded must
        // never see the flag with the old count (IsLast would take that earlier chunk's reply for the final one).
        Interlocked.Increment(ref _written);
        if (last)
        {
            Volatile.Write(ref _lastWritten, 1);
        }
        _signals.Release();
    }

    /// <summary>The writer has ended, whatever the reason; called once, as the writer's last use of this object.</summary>
    public void WriterEnded()
    {
        // The release first: once the flag is seen, the object may be reset and reused, and no late signal may follow.
        _signals.Release();
        Volatile.Write(ref _writerEnded, 1);
    }

    /// <summary>True once the writer has ended: only the reader still uses this object.</summary>
    public bool WriterHasEnded => Volatile.Read(ref _writerEnded) != 0;

    /// <summary>
    /// Makes this object as new, for the session's next transaction (one per message would be an allocation each,
    /// with its semaphore). Only once the writer has ended and the reader is done with it.
    /// </summary>
    public void Reset()
    {
        if (!WriterHasEnded)
        {
            throw new InvalidOperationException("the bdat writer is still running");
        }
        // Signals the reader did not take (it stops reading at LAST or at an error) are dropped; Wait(0) never blocks.
        while (_signals.Wait(0))
        {
        }
        _written = 0;
        _stop = 0;
        _lastWritten = 0;
        _writerEnded = 0;
    }

    /// <summary>Waits until chunk <paramref name="index"/> (from 0) is written (true) or the writer ended without writing it (false).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitWrittenAsync(int index, CancellationToken cancellationToken)
    {
        await _signals.WaitAsync(cancellationToken).ConfigureAwait(false);
        return index < Volatile.Read(ref _written);
    }

    /// <inheritdoc/>
    public void Dispose() => _signals.Dispose();
}
