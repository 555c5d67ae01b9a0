using System.Buffers;

namespace SmtpDeliver;

/// <summary>
/// Writes a message as SMTP DATA (RFC 5321 4.5.2): lines starting with '.' get another '.', the
/// message must consist of CRLF-terminated lines, and the end-of-data marker ".\r\n" follows (the
/// message's own last CRLF completes the CRLF "." CRLF sequence). The message is streamed in chunks
/// from any stream, never loaded whole into memory; line ends are found with vectorised search, bare
/// CR and LF are detected across chunk boundaries, and long runs without dots are written straight
/// through without copying.
/// </summary>
internal static class DataWriter
{
    private const int ChunkSize = 64 * 1024;
    // Runs at least this long are written directly from the read buffer instead of being copied.
    private const int DirectWriteThreshold = 16 * 1024;
    private static readonly SearchValues<byte> LineEnds = SearchValues.Create("\r\n"u8);
    private static readonly byte[] EndOfData = ".\r\n"u8.ToArray();

    /// <summary>
    /// Writes <paramref name="message"/> dot-stuffed to <paramref name="output"/>, followed by the
    /// end-of-data marker. The output is not flushed. On a malformed message, what was read so far may
    /// already have been written; the SMTP session cannot continue after that.
    /// </summary>
    /// <returns>The number of message bytes read.</returns>
    /// <exception cref="MessageDataException">The message contains a bare CR or LF, or does not end with CRLF.</exception>
    public static async ValueTask<long> WriteAsync(Stream message, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        var input = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var pending = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var state = new StuffingState();
            int n;
            while ((n = await message.ReadAsync(input.AsMemory(0, ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                var segments = state.Scan(input.AsSpan(0, n));
                // Segments alternate with inserted dots; write them in order.
                var start = 0;
                foreach (var dotAt in segments)
                {
                    await EmitAsync(input.AsMemory(start, dotAt - start)).ConfigureAwait(false);
                    await EmitAsync(EndOfData.AsMemory(0, 1)).ConfigureAwait(false);
                    start = dotAt;
                }
                await EmitAsync(input.AsMemory(start, n - start)).ConfigureAwait(false);
            }
            state.Finish();
            await EmitAsync(EndOfData).ConfigureAwait(false);
            if (state.PendingLength > 0)
            {
                await output.WriteAsync(pending.AsMemory(0, state.PendingLength), cancellationToken).ConfigureAwait(false);
            }
            return state.Offset;

            async ValueTask EmitAsync(ReadOnlyMemory<byte> data)
            {
                if (data.Length >= DirectWriteThreshold)
                {
                    if (state.PendingLength > 0)
                    {
                        await output.WriteAsync(pending.AsMemory(0, state.PendingLength), cancellationToken).ConfigureAwait(false);
                        state.PendingLength = 0;
                    }
                    await output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                    return;
                }
                if (state.PendingLength + data.Length > ChunkSize)
                {
                    await output.WriteAsync(pending.AsMemory(0, state.PendingLength), cancellationToken).ConfigureAwait(false);
                    state.PendingLength = 0;
                }
                data.Span.CopyTo(pending.AsSpan(state.PendingLength));
                state.PendingLength += data.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(pending);
        }
    }

    /// <summary>
    /// Line state carried across chunks: validates CRLF line ends and finds where dots are inserted. BDAT
    /// (Smtp/BdatWriter) uses it to validate only.
    /// </summary>
    internal sealed class StuffingState
    {
        private readonly List<int> _dots = [];
        // BDAT has no dot-stuffing (RFC 3030 2): its scan only checks the line ends.
        private readonly bool _recordDots;

        /// <summary>A scan from the start of a message; <paramref name="recordDots"/> false for line checks only (BDAT).</summary>
        public StuffingState(bool recordDots = true) => _recordDots = recordDots;
        private bool _atLineStart = true;
        private bool _afterCr;

        /// <summary>Message bytes scanned so far.</summary>
        public long Offset { get; private set; }

        /// <summary>Bytes waiting in the copy buffer.</summary>
        public int PendingLength { get; set; }

        /// <summary>
        /// Validates a chunk and returns the offsets at which a '.' must be inserted (before the
        /// original '.'). The returned list is reused by the next call.
        /// </summary>
        public List<int> Scan(ReadOnlySpan<byte> chunk)
        {
            _dots.Clear();
            var i = 0;
            while (i < chunk.Length)
            {
                if (_afterCr)
                {
                    if (chunk[i] != '\n')
                    {
                        throw new MessageDataException(MessageDataError.BareCarriageReturn, Offset + i - 1);
                    }
                    _afterCr = false;
                    _atLineStart = true;
                    i++;
                    continue;
                }
                if (_atLineStart)
                {
                    _atLineStart = false;
                    // RFC 5321 4.5.2: transparency.
                    if (chunk[i] == '.' && _recordDots)
                    {
                        _dots.Add(i);
                    }
                }
                var j = chunk[i..].IndexOfAny(LineEnds);
                if (j < 0)
                {
                    break;
                }
                i += j;
                if (chunk[i] == '\n')
                {
                    throw new MessageDataException(MessageDataError.BareLineFeed, Offset + i);
                }
                _afterCr = true;
                i++;
            }
            Offset += chunk.Length;
            return _dots;
        }

        /// <summary>Checks the end of the message: empty, or ending in CRLF.</summary>
        public void Finish()
        {
            if (_afterCr || (Offset > 0 && !_atLineStart))
            {
                throw new MessageDataException(MessageDataError.MissingFinalCrlf, Offset);
            }
        }
    }
}
