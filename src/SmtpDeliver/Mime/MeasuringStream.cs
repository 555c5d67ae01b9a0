namespace SmtpDeliver.Mime;

/// <summary>
/// A write-only stream that keeps nothing: it counts the bytes written and notes whether any is 8-bit
/// (RFC 6152 2: octets above 127 need 8BITMIME). The measuring pass of <see cref="MimeMessageSource"/>.
/// </summary>
internal sealed class MeasuringStream : Stream
{
    /// <summary>The bytes written so far.</summary>
    public long Written { get; private set; }

    /// <summary>True when a byte above 127 was written.</summary>
    public bool HasEightBit { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Written += buffer.Length;
        if (!HasEightBit && buffer.IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0)
        {
            HasEightBit = true;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
