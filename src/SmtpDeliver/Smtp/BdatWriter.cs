using System.Buffers;
using System.Runtime.CompilerServices;

namespace SmtpDeliver;

/// <summary>
/// Cuts a message into BDAT chunks (RFC 3030 2) and appends each, command line and data, to the command
/// buffer, so that one write sends both (the first chunk also shares its write with the envelope). No
/// dot-stuffing and no end-of-data marker: the size in the command delimits the data. The message is read
/// once, one chunk at a time, never whole; the chunk that ends the message carries LAST. The size the
/// caller gave is not trusted: a chunk is as long as what the stream yields, and LAST is decided by
/// looking one byte ahead.
/// </summary>
/// <remarks>
/// 64 KiB chunks: a chunk is one write, and at the slowest rate a server may take data
/// (<see cref="SmtpTimeouts.MinimumDataRate"/>, 4 KiB/s) 64 KiB takes 16 s, well inside the per-block limit
/// (<see cref="SmtpTimeouts.DataBlock"/>, 3 min), so that limit still means something; the command line adds
/// under 0.03 %; a 3 MB message needs 47 replies, each a short line. It is also the size <see cref="DataWriter"/>
/// reads in, and a message of at most this size goes in one chunk with the envelope.
/// </remarks>
internal sealed class BdatWriter : IDisposable
{
    /// <summary>The largest chunk; messages of at most this size go in one BDAT LAST.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly Stream _message;
    // Null for BINARYMIME: any bytes go. Otherwise lines must end in CRLF, as with DATA (RFC 5321 2.3.8).
    private readonly DataWriter.StuffingState? _lines;
    // One byte more than a chunk: the look-ahead that tells whether a full chunk is the last.
    private byte[] _buffer;
    private int _carried;
    // The chunk read by FillAsync and not yet appended: its length (-1 for none), and whether it is the last.
    private int _filled = -1;
    private bool _filledLast;

    /// <summary>
    /// Reads <paramref name="message"/> from its current position; <paramref name="binary"/> skips the line checks.
    /// <paramref name="sizeHint"/> (the size the caller declared) only sizes the first buffer: a small message
    /// rents a small one (a 64 KiB rent per message drains the shared pool when a thousand sessions send at
    /// once), and the buffer grows to a whole chunk when the stream yields more.
    /// </summary>
    public BdatWriter(Stream message, bool binary, long sizeHint = ChunkSize)
    {
        _message = message;
        _lines = binary ? null : new DataWriter.StuffingState(recordDots: false);
        _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(sizeHint + 1, 1, ChunkSize + 1));
    }

    /// <summary>Message bytes appended so far.</summary>
    public long Written { get; private set; }

    /// <summary>Chunks appended so far.</summary>
    public int Chunks { get; private set; }

    /// <summary>True once the chunk with LAST was appended.</summary>
    public bool Done { get; private set; }

    /// <summary>
    /// Reads the next chunk and appends "BDAT n" (with " LAST" when the message ends there) and the data
    /// to <paramref name="transport"/>'s command buffer; nothing is written to the connection. When this
    /// throws, nothing of the chunk was appended.
    /// </summary>
    /// <returns>True when the chunk appended was the last.</returns>
    /// <exception cref="MessageDataException">Without BINARYMIME: a bare CR or LF, or no final CRLF.</exception>
    /// <exception cref="SmtpException">An octet above 127 while <see cref="RefuseEightBit"/> is set, or more bytes than <see cref="SizeLimit"/>.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> AppendNextAsync(SmtpTransport transport, CancellationToken cancellationToken)
    {
        var last = await FillAsync(cancellationToken).ConfigureAwait(false);
        AppendFilled(transport);
        return last;
    }

    /// <summary>
    /// Reads the next chunk into the buffer and checks it, without appending it: the caller may look at it
    /// (<see cref="FilledLength"/>, <see cref="FilledEightBit"/>) before <see cref="AppendFilled"/>. When this
    /// throws, nothing is kept of the chunk.
    /// </summary>
    /// <returns>True when the chunk is the last.</returns>
    /// <exception cref="MessageDataException">Without BINARYMIME: a bare CR or LF, or no final CRLF.</exception>
    /// <exception cref="SmtpException">An octet above 127 while <see cref="RefuseEightBit"/> is set, or more bytes than <see cref="SizeLimit"/>.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_filled >= 0)
        {
            throw new InvalidOperationException("the filled chunk was not appended");
        }
        var capacity = Math.Min(_buffer.Length, ChunkSize + 1);
        var want = capacity - _carried;
        var n = _carried + await _message.ReadAtLeastAsync(_buffer.AsMemory(_carried, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (n == capacity && capacity < ChunkSize + 1)
        {
            // The stream has more than the declared size suggested: grow to a whole chunk and read on.
            var larger = ArrayPool<byte>.Shared.Rent(ChunkSize + 1);
            _buffer.AsSpan(0, n).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
            want = ChunkSize + 1 - n;
            n += await _message.ReadAtLeastAsync(_buffer.AsMemory(n, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        var last = n <= ChunkSize;
        var length = last ? n : ChunkSize;
        var chunk = _buffer.AsSpan(0, length);
        if (_lines is not null)
        {
            // The carried byte was not scanned yet: it is scanned here, as the first of this chunk.
            _lines.Scan(chunk);
            if (last)
            {
                _lines.Finish();
            }
        }
        if (Written + length > SizeLimit)
        {
            throw new SmtpException(SmtpErrorReason.MessageTooLarge, true, SmtpCommand.Bdat,
                $"message is more than {Written + length} bytes, server accepts at most {SizeLimit} bytes");
        }
        // RFC 6152: whether the chunk holds octets above 127 (the message then needs 8BITMIME).
        var eightBit = chunk.IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0;
        if (eightBit && RefuseEightBit)
        {
            // The transaction went out without BODY=8BITMIME (the server does not offer it) before this part of
            // the message was seen: the chunk is not sent, and no LAST follows, so nothing is delivered.
            throw new SmtpException(SmtpErrorReason.EightBitMimeUnsupported, true, SmtpCommand.Bdat,
                $"message has an octet above 127 after byte {Written}, and the server does not implement the 8bitmime extension");
        }
        FilledEightBit = eightBit;
        _filled = length;
        _filledLast = last;
        return last;
    }

    /// <summary>
    /// The most message bytes the server takes (its SIZE, RFC 1870), checked per chunk for a message whose size was
    /// not declared: a chunk that would pass it fails <see cref="FillAsync"/>. No limit by default.
    /// </summary>
    public long SizeLimit { get; set; } = long.MaxValue;

    /// <summary>The length of the chunk filled and not yet appended; -1 when there is none.</summary>
    public int FilledLength => _filled;

    /// <summary>Whether the chunk filled last has an octet above 127.</summary>
    public bool FilledEightBit { get; private set; }

    /// <summary>
    /// When set, a chunk with an octet above 127 fails <see cref="FillAsync"/> (a transaction sent without
    /// BODY=8BITMIME, before the whole message was seen).
    /// </summary>
    public bool RefuseEightBit { get; set; }

    /// <summary>Appends "BDAT n" (with " LAST" for the last chunk) and the filled chunk to the command buffer.</summary>
    public void AppendFilled(SmtpTransport transport)
    {
        if (_filled < 0)
        {
            throw new InvalidOperationException("no chunk was filled");
        }
        var length = _filled;
        var last = _filledLast;
        transport.BeginLine();
        transport.Append("BDAT ");
        transport.Append(length);
        if (last)
        {
            transport.Append(" LAST");
        }
        transport.EndLine();
        transport.AppendData(_buffer.AsSpan(0, length));
        Written += length;
        Chunks++;
        Done = last;
        _filled = -1;
        if (!last)
        {
            _buffer[0] = _buffer[ChunkSize];
            _carried = 1;
        }
    }

    /// <summary>Returns the chunk buffer to the pool.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
