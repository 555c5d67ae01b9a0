using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace SmtpDeliver.Mime;

/// <summary>
/// The write side of <see cref="MimeMessageStream"/>: MimeKit writes into it and the bytes go to a
/// <see cref="PipeWriter"/>, whose flush waits (without a thread) while the reader is behind. It refuses the
/// first byte beyond the measured size, so a grown message never reaches the reader.
/// </summary>
internal sealed class PipeSinkStream(PipeWriter writer, long expectedSize) : Stream
{
    private const string ForwardOnly = "the MIME sink takes MimeKit's bytes in order, into a pipe: it cannot seek";

    /// <summary>The bytes accepted so far.</summary>
    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException(ForwardOnly);
    }

    /// <summary>
    /// Bytes appended before they are flushed to the reader: MimeKit writes in blocks of a few KiB, and a flush per
    /// block would wake the reader (and make the writer wait) for each; one per 32 KiB is half a BDAT chunk.
    /// </summary>
    internal const int FlushThreshold = 32 * 1024;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Account(buffer.Length);
        writer.Write(buffer.Span);
        return writer.UnflushedBytes >= FlushThreshold ? FlushPipeAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    // The token is not passed to the pipe: a waiting flush ends when the reader completes (disposed), which is how
    // the writer is stopped, and a token registration per flush would cost an allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushPipeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        ThrowIfReaderGone(result);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // MimeKit's asynchronous writers use WriteAsync; a synchronous write only appends to the pipe's pooled
    // segments (no blocking); the next FlushAsync applies the back-pressure.
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Account(buffer.Length);
        writer.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    // MimeKit flushes after each part; the reader gains nothing from a flush of a few bytes, so only the threshold
    // (or FlushAllAsync, at the end of the message) hands bytes over.
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        writer.UnflushedBytes >= FlushThreshold ? FlushPipeAsync(cancellationToken).AsTask() : Task.CompletedTask;

    /// <summary>Hands every byte written so far to the reader.</summary>
    public ValueTask FlushAllAsync(CancellationToken cancellationToken) => FlushPipeAsync(cancellationToken);

    public override void Flush()
    {
    }

    // The Stream contract for a write-only stream (CanRead and CanSeek are false): these members throw
    // NotSupportedException, saying why, as DeadlineStream's do.
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("the MIME sink is write only: the pipe's reader reads what MimeKit wrote");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException(ForwardOnly);

    public override void SetLength(long value) => throw new NotSupportedException("the MIME sink's length is what MimeKit wrote to it");

    private void Account(int count)
    {
        if (Written + count > expectedSize)
        {
            throw new MimeMessageChangedException(expectedSize, Written + count, atLeast: true);
        }
        Written += count;
    }

    // The reader completed (disposed): stop producing.
    private static void ThrowIfReaderGone(FlushResult result)
    {
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new OperationCanceledException("the message stream was closed by its reader");
        }
    }
}
