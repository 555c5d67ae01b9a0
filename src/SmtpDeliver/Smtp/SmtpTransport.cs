using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Diagnostics;

namespace SmtpDeliver;

/// <summary>
/// The byte level of one SMTP connection: a pooled read buffer from which reply lines are cut, a
/// growable command buffer written in one write per pipelined group, per-operation timeouts, and the
/// protocol trace. Any I/O or protocol error marks the transport <see cref="Broken"/>: its state is
/// unknown and the session cannot continue.
/// </summary>
internal sealed class SmtpTransport : IDisposable
{
    private static readonly SearchValues<byte> Lf = SearchValues.Create("\n"u8);
    // The last few reply lines as strings: a server answers every transaction with the same few lines
    // ("250 2.1.0 Ok"), and a line equal to one of these reuses its string instead of allocating another.
    private const int RecentLineCount = 4;
    private readonly string?[] _recentLines = new string?[RecentLineCount];
    private int _recentNext;
    private readonly ReplyLimits _limits;
    private readonly ILogger _logger;
    private readonly bool _traceSensitive;
    private readonly DeadlineStream _io;
    private byte[] _readBuffer;
    private int _readStart;
    private int _readEnd;
    private byte[] _writeBuffer;
    private int _writeLength;
    private int _lineStart;
    private int _sensitiveFrom = -1;

    public SmtpTransport(Stream raw, ReplyLimits limits, ILogger logger, bool traceSensitive, TimeProvider? timeProvider = null)
    {
        Raw = raw;
        _limits = limits;
        _logger = logger;
        _traceSensitive = traceSensitive;
        _io = new DeadlineStream(raw, timeProvider);
        _readBuffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, limits.MaxLineLength + 2));
        _writeBuffer = ArrayPool<byte>.Shared.Rent(1024);
    }

    /// <summary>The connection as given, below any TLS layer.</summary>
    public Stream Raw { get; }

    /// <summary>The stream reads and writes go through, with deadlines; its inner stream is the TLS stream after a handshake.</summary>
    public Stream Stream => _io;

    /// <summary>The connection as it is now: the TLS stream after a handshake, else the raw connection.</summary>
    public Stream Current => _io.Inner;

    /// <summary>True after an I/O or protocol error: the connection's state is unknown.</summary>
    public bool Broken { get; set; }

    /// <summary>Bytes received but not yet consumed as reply lines.</summary>
    public int BufferedBytes => _readEnd - _readStart;

    /// <summary>Puts a TLS stream (already authenticated) in place of the plain one.</summary>
    public void UpgradeTo(Stream tls) => _io.Inner = tls;

    // ---- reading ----

    /// <summary>
    /// Reads one complete reply. Enhanced codes are parsed from the text when <paramref name="enhancedCodes"/>.
    /// </summary>
    /// <exception cref="SmtpException">Connection, timeout or protocol failure; the transport is then broken.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Reply> ReadReplyAsync(SmtpCommand command, bool enhancedCodes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // One deadline for the whole reply, however slowly its bytes come.
        _io.StartReadDeadline(timeout);
        string? first = null;
        List<string>? more = null;
        List<string>? moreTexts = null;
        var code = 0;
        var totalBytes = 0;
        while (true)
        {
            var line = await ReadLineAsync(command, cancellationToken).ConfigureAwait(false);
            totalBytes += line.Length;
            var kind = ReplyLine.TryParse(line.Span, out var lineCode, out var textStart);
            var raw = LineString(line.Span);
            Log.Read(_logger, raw);
            if (kind is ReplyLine.Kind.MissingCode or ReplyLine.Kind.BadSeparator)
            {
                var what = kind == ReplyLine.Kind.MissingCode ? "expected three-digit reply code" : "expected space or hyphen after reply code";
                throw Break(SmtpErrorReason.Protocol, command, $"{what}: {Printable(raw)}", first ?? raw, more);
            }
            if (first is null)
            {
                first = raw;
            }
            else
            {
                (more ??= []).Add(raw);
                if (line.Length > textStart)
                {
                    (moreTexts ??= []).Add(raw[textStart..]);
                }
                if (lineCode != code)
                {
                    // RFC 5321 4.2.1: all lines of a multi-line reply carry the same code.
                    throw Break(SmtpErrorReason.Protocol, command, string.Create(CultureInfo.InvariantCulture, $"multi-line reply with different codes, {code} then {lineCode}"), first, more);
                }
            }
            code = lineCode;
            if (kind == ReplyLine.Kind.Last)
            {
                var text = line.Length > textStart ? line.Span[textStart..] : [];
                var secode = string.Empty;
                var rest = 0;
                // RFC 4954 4: the text of a 334 is base64, never an enhanced code.
                if (enhancedCodes && code != 334)
                {
                    secode = ReplyLine.ParseEnhancedCode(code / 100, text, out rest);
                }
                // The code, separator and enhanced code are ASCII: their byte count is their char count in raw.
                return new Reply(code, secode, first, (IReadOnlyList<string>?)more ?? [], (IReadOnlyList<string>?)moreTexts ?? [], raw, Math.Min(raw.Length, textStart + rest));
            }
            if ((more?.Count ?? 0) + 1 >= _limits.MaxLinesPerReply || totalBytes > _limits.MaxReplyBytes)
            {
                throw Break(SmtpErrorReason.ReplyTooLong, command, string.Create(CultureInfo.InvariantCulture, $"reply longer than {_limits.MaxLinesPerReply} lines or {_limits.MaxReplyBytes} bytes"), first, null);
            }
        }
    }

    /// <summary>The line as a string: one of the recent lines when it is byte for byte the same (ASCII), else a new one.</summary>
    private string LineString(ReadOnlySpan<byte> line)
    {
        foreach (var recent in _recentLines)
        {
            if (recent is not null && recent.Length == line.Length && Ascii.Equals(line, recent))
            {
                return recent;
            }
        }
        var s = Encoding.UTF8.GetString(line);
        _recentLines[_recentNext] = s;
        _recentNext = (_recentNext + 1) % RecentLineCount;
        return s;
    }

    /// <summary>
    /// Reads one line, returning it without LF and without a CR before it. The memory is valid until the
    /// next read. A line of more than <see cref="ReplyLimits.MaxLineLength"/> bytes before the LF fails.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadOnlyMemory<byte>> ReadLineAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        var scanFrom = _readStart;
        while (true)
        {
            var lf = _readBuffer.AsSpan(scanFrom, _readEnd - scanFrom).IndexOfAny(Lf);
            if (lf >= 0)
            {
                var end = scanFrom + lf;
                var start = _readStart;
                if (end - start > _limits.MaxLineLength)
                {
                    throw Break(SmtpErrorReason.ReplyTooLong, command, string.Create(CultureInfo.InvariantCulture, $"reply line longer than {_limits.MaxLineLength} bytes"), string.Empty, null);
                }
                _readStart = end + 1;
                var lineEnd = end > start && _readBuffer[end - 1] == '\r' ? end - 1 : end;
                return _readBuffer.AsMemory(start, lineEnd - start);
            }
            if (_readEnd - _readStart > _limits.MaxLineLength)
            {
                throw Break(SmtpErrorReason.ReplyTooLong, command, string.Create(CultureInfo.InvariantCulture, $"reply line longer than {_limits.MaxLineLength} bytes without line end"), string.Empty, null);
            }
            if (_readStart > 0)
            {
                // Move the partial line to the front; lines are short, so this copies little.
                _readBuffer.AsSpan(_readStart, _readEnd - _readStart).CopyTo(_readBuffer);
                _readEnd -= _readStart;
                _readStart = 0;
            }
            scanFrom = _readEnd;
            int n;
            try
            {
                n = await _io.ReadAsync(_readBuffer.AsMemory(_readEnd), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Break(IoReason(e), command, $"reading reply: {e.Message}", string.Empty, null, e);
            }
            catch (OperationCanceledException)
            {
                Broken = true;
                throw;
            }
            if (n == 0)
            {
                throw Break(SmtpErrorReason.Connection, command, "connection closed by remote before a complete reply", string.Empty, null, new EndOfStreamException("unexpected end of stream"));
            }
            _readEnd += n;
        }
    }

    // ---- writing ----

    /// <summary>Starts a command line in the write buffer.</summary>
    public void BeginLine()
    {
        _lineStart = _writeLength;
        _sensitiveFrom = -1;
    }

    /// <summary>What is appended to the current line from here on is a secret: the trace shows "***" instead.</summary>
    public void MarkSensitive() => _sensitiveFrom = _writeLength;

    /// <summary>Appends ASCII text (commands, keywords, numbers).</summary>
    public void Append(ReadOnlySpan<char> ascii)
    {
        var span = Reserve(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }
        _writeLength += ascii.Length;
    }

    /// <summary>Appends text as UTF-8 (addresses, which may be internationalised with SMTPUTF8).</summary>
    public void AppendUtf8(ReadOnlySpan<char> text)
    {
        var span = Reserve(Encoding.UTF8.GetMaxByteCount(text.Length));
        _writeLength += Encoding.UTF8.GetBytes(text, span);
    }

    /// <summary>Appends a non-negative number in decimal.</summary>
    public void Append(long number)
    {
        var span = Reserve(20);
        number.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        _writeLength += written;
    }

    /// <summary>Ends the command line with CRLF and traces it.</summary>
    public void EndLine()
    {
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            var text = _sensitiveFrom < 0 || _traceSensitive
                ? Encoding.UTF8.GetString(_writeBuffer, _lineStart, _writeLength - _lineStart)
                : Encoding.UTF8.GetString(_writeBuffer, _lineStart, _sensitiveFrom - _lineStart) + "***";
            Log.Write(_logger, text);
        }
        Append("\r\n");
    }

    /// <summary>Appends a whole command line.</summary>
    public void WriteLine(ReadOnlySpan<char> ascii)
    {
        BeginLine();
        Append(ascii);
        EndLine();
    }

    /// <summary>Writes everything buffered in one write.</summary>
    /// <exception cref="SmtpException">The write failed or timed out; the transport is then broken.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushAsync(SmtpCommand command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_writeLength == 0)
        {
            return;
        }
        _io.StartWriteDeadline(timeout);
        try
        {
            await _io.WriteAsync(_writeBuffer.AsMemory(0, _writeLength), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Break(IoReason(e), command, $"writing command: {e.Message}", string.Empty, null, e);
        }
        catch (OperationCanceledException)
        {
            Broken = true;
            throw;
        }
        finally
        {
            _writeLength = 0;
        }
    }

    /// <summary>Appends message bytes (a BDAT chunk, RFC 3030 2) after the current line; never traced.</summary>
    public void AppendData(ReadOnlySpan<byte> data)
    {
        data.CopyTo(Reserve(data.Length));
        _writeLength += data.Length;
    }

    /// <summary>Drops everything buffered and not yet written (nothing of it reaches the server).</summary>
    public void DiscardBuffered() => _writeLength = 0;

    /// <summary>
    /// Writes everything buffered in one write under the deadlines set by <see cref="StartDataDeadline"/> (the
    /// size-based bound of the whole data phase and the per-block limit), which it does not reset.
    /// </summary>
    /// <exception cref="SmtpException">The write failed or timed out; the transport is then broken.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushDataAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        if (_writeLength == 0)
        {
            return;
        }
        try
        {
            await _io.WriteAsync(_writeBuffer.AsMemory(0, _writeLength), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Break(IoReason(e), command, $"writing message data: {e.Message}", string.Empty, null, e);
        }
        catch (OperationCanceledException)
        {
            Broken = true;
            throw;
        }
        finally
        {
            _writeLength = 0;
        }
    }

    /// <summary>Bounds the data writer's writes: <paramref name="total"/> for all of them, <paramref name="perWrite"/> for each.</summary>
    public void StartDataDeadline(TimeSpan total, TimeSpan perWrite) => _io.StartWriteDeadline(total, perWrite);

    /// <summary>Moves the data writer's overall deadline <paramref name="more"/> later (a message whose size is learnt as it is sent).</summary>
    public void ExtendDataDeadline(TimeSpan more) => _io.ExtendWriteDeadline(more);

    /// <summary>A deadline for the whole session that no read or write may pass; <c>null</c> for none.</summary>
    public void SetSessionDeadline(TimeSpan? remaining) => _io.SetSessionDeadline(remaining);

    /// <summary>The time left until the session deadline; <c>null</c> when there is none.</summary>
    public TimeSpan? SessionTimeLeft => _io.SessionTimeLeft;

    private Span<byte> Reserve(int count)
    {
        if (_writeLength + count > _writeBuffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_writeBuffer.Length * 2, _writeLength + count));
            _writeBuffer.AsSpan(0, _writeLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_writeBuffer);
            _writeBuffer = bigger;
        }
        return _writeBuffer.AsSpan(_writeLength, count);
    }

    // ---- errors ----

    /// <summary>Marks the transport broken and makes the transient error for a failure.</summary>
    public SmtpException Break(SmtpErrorReason reason, SmtpCommand command, string message, string line, IReadOnlyList<string>? moreLines, Exception? inner = null)
    {
        Broken = true;
        var response = new SmtpResponse { Line = line, MoreLines = moreLines ?? [], Command = command };
        return new SmtpException(reason, permanent: false, command, message, response, inner);
    }

    /// <summary>The reason for an exception from the stream.</summary>
    public static SmtpErrorReason IoReason(Exception e) => e switch
    {
        TimeoutException => SmtpErrorReason.Timeout,
        AuthenticationException => SmtpErrorReason.Tls,
        IOException { InnerException: AuthenticationException } => SmtpErrorReason.Tls,
        _ when Tls.TlsHandshakeFailure.TryGetRemoteAlert(e, out _) => SmtpErrorReason.Tls,
        _ => SmtpErrorReason.Connection,
    };

    private static string Printable(string s) => s.Length > 100 ? s[..100] + "…" : s;

    /// <summary>
    /// Returns the pooled buffers and disposes the timers (what <see cref="Dispose"/> does). Only when no read or write can still be running:
    /// the client calls it when its operation has ended, never while one is in flight.
    /// </summary>
    public void Dispose() => ReleaseBuffers();

    /// <inheritdoc cref="Dispose"/>
    public void ReleaseBuffers()
    {
        _io.Dispose();
        if (_readBuffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = [];
        }
        if (_writeBuffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_writeBuffer);
            _writeBuffer = [];
        }
    }
}
