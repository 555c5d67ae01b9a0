using System.Runtime.CompilerServices;

namespace SmtpDeliver.Tls;

/// <summary>
/// Sits below the TLS stream and notes what a failed handshake needs for its TLSRPT reason: the first
/// bytes the server sent (a TLS record starts with content type 20..24 and major version 3) and whether
/// the server closed the connection. Passes everything through unchanged.
/// </summary>
internal sealed class HandshakeObserverStream(Stream inner) : Stream
{
    private readonly byte[] _firstBytes = new byte[3];
    private int _firstCount;

    /// <summary>True when a read returned end of stream.</summary>
    public bool SawEndOfStream { get; private set; }

    /// <summary>True when the server's first bytes cannot start a TLS record (RFC 8446 5.1).</summary>
    public bool SawNonTlsRecordHeader =>
        _firstCount > 0 && (_firstBytes[0] is < 20 or > 24 || (_firstCount >= 2 && _firstBytes[1] != 3));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException("a connection has no length");
    public override long Position
    {
        get => throw new NotSupportedException("a connection has no position");
        set => throw new NotSupportedException("a connection has no position");
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            SawEndOfStream = true;
        }
        else if (_firstCount < _firstBytes.Length)
        {
            var take = Math.Min(n, _firstBytes.Length - _firstCount);
            buffer.Span[..take].CopyTo(_firstBytes.AsSpan(_firstCount));
            _firstCount += take;
        }
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("use ReadAsync");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("use WriteAsync");
    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a connection cannot seek");
    public override void SetLength(long value) => throw new NotSupportedException("a connection has no length");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
