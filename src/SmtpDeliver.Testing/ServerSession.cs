using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Tls;

namespace SmtpDeliver.Testing;

/// <summary>
/// The server side of one connection to a <see cref="ScriptedSmtpServer"/> or an <see cref="SmtpSink"/>: reads
/// client lines, message data and exact byte counts, writes replies, runs the server side of STARTTLS, and
/// records a transcript ("S: " lines written, "C: " lines read). A session made by
/// <see cref="ScriptedSmtpServer"/> reads byte by byte, so nothing is ever read past a line (a STARTTLS test
/// sees exactly what the client sent before the handshake); a sink's session reads ahead into a buffer. Every
/// read and write is bounded by <see cref="ReadTimeout"/>, so a test never hangs.
/// </summary>
public sealed class ServerSession : IAsyncDisposable
{
    private const int DefaultMaxLineLength = 1024 * 1024;
    private readonly List<string>? _transcript;
    private readonly bool _readAhead;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private Stream _stream;
    private CancellationTokenSource _timer = new();
    private bool _repliedSinceRead = true;

    /// <summary>A session on <paramref name="stream"/> that reads byte by byte and records into <paramref name="transcript"/>.</summary>
    /// <param name="stream">The connection; the session owns it.</param>
    /// <param name="transcript">Where lines are recorded; shared with the server, locked while written.</param>
    public ServerSession(Stream stream, List<string> transcript)
        : this(stream, transcript, readAhead: false, bufferSize: 1024)
    {
    }

    internal ServerSession(Stream stream, List<string>? transcript, bool readAhead, int bufferSize)
    {
        _stream = stream;
        _transcript = transcript;
        _readAhead = readAhead;
        _buffer = new byte[bufferSize];
    }

    /// <summary>The longest line a read accepts (without CRLF); a longer one fails with <see cref="InvalidDataException"/>.</summary>
    internal int MaxLineLength { get; set; } = DefaultMaxLineLength;

    /// <summary>Called when a flight starts (see <see cref="Flights"/>).</summary>
    internal Action? FlightStarted { get; set; }

    /// <summary>Called before each read from the connection: a sink writes its pending replies there (RFC 2920 3.1: replies to a group are sent when the server would wait).</summary>
    internal Func<ValueTask>? BeforeRead { get; set; }

    /// <summary>True when bytes the client sent are read but not yet consumed (the client pipelined).</summary>
    internal bool HasBufferedInput => _end > _start;

    /// <summary>The bound of each read and write; a read that takes longer fails with <see cref="OperationCanceledException"/>.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The client's flights so far: bursts of client bytes between two server writes. A client that pipelines
    /// MAIL, RCPT and DATA (RFC 2920) sends them in one flight; one waiting for each reply needs three.
    /// </summary>
    public int Flights { get; private set; }

    /// <summary>True after <see cref="StartTlsAsync"/>.</summary>
    public bool IsTls => _stream is SslStream;

    /// <summary>The tls-unique channel binding on TLS 1.2, after <see cref="StartTlsAsync"/>.</summary>
    public byte[]? TlsUnique { get; private set; }

    /// <summary>The SNI name the client sent, after <see cref="StartTlsAsync"/>; empty when none.</summary>
    public string ServerName { get; private set; } = "";

    /// <summary>The certificate the client presented, after <see cref="StartTlsAsync"/>.</summary>
    public X509Certificate2? ClientCertificate { get; private set; }

    internal void Record(string line)
    {
        if (_transcript is null)
        {
            return;
        }
        lock (_transcript)
        {
            _transcript.Add(line);
        }
    }

    private CancellationToken StartTimer()
    {
        if (!_timer.TryReset())
        {
            _timer.Dispose();
            _timer = new CancellationTokenSource();
        }
        _timer.CancelAfter(ReadTimeout);
        return _timer.Token;
    }

    /// <summary>Reads from the connection (not the buffer), counting flights.</summary>
    private async ValueTask<int> ReadStreamAsync(Memory<byte> into)
    {
        if (BeforeRead is not null)
        {
            await BeforeRead().ConfigureAwait(false);
        }
        var n = await _stream.ReadAsync(into, StartTimer()).ConfigureAwait(false);
        if (n > 0 && _repliedSinceRead)
        {
            _repliedSinceRead = false;
            Flights++;
            FlightStarted?.Invoke();
        }
        return n;
    }

    /// <summary>Reads more into the buffer: one byte, or as much as fits when reading ahead. False at end of stream.</summary>
    private async ValueTask<bool> FillAsync()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }
        var n = await ReadStreamAsync(_buffer.AsMemory(_end, _readAhead ? _buffer.Length - _end : 1)).ConfigureAwait(false);
        _end += n;
        return n > 0;
    }

    /// <summary>
    /// Reads one line without its CRLF (a bare LF ends a line too); the memory is valid until the next read.
    /// Null at end of stream; <see cref="IOException"/> at end of stream within a line.
    /// </summary>
    internal async ValueTask<ReadOnlyMemory<byte>?> ReadLineBytesAsync()
    {
        var scanned = 0;
        while (true)
        {
            var lf = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var lineStart = _start;
                var lineEnd = _start + scanned + lf;
                _start = lineEnd + 1;
                if (lineEnd > lineStart && _buffer[lineEnd - 1] == '\r')
                {
                    lineEnd--;
                }
                if (lineEnd - lineStart > MaxLineLength)
                {
                    throw new InvalidDataException($"line longer than {MaxLineLength} bytes");
                }
                return _buffer.AsMemory(lineStart, lineEnd - lineStart);
            }
            scanned = _end - _start;
            if (scanned > MaxLineLength)
            {
                throw new InvalidDataException($"line longer than {MaxLineLength} bytes");
            }
            if (!await FillAsync().ConfigureAwait(false))
            {
                return _end == _start ? null : throw new IOException("eof in line");
            }
        }
    }

    /// <summary>Reads one line without its CRLF; null at end of stream.</summary>
    public async Task<string?> ReadLineAsync()
    {
        if (await ReadLineBytesAsync().ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }
        var line = Encoding.UTF8.GetString(bytes.Span);
        Record("C: " + line);
        return line;
    }

    /// <summary>Writes <paramref name="line"/> and CRLF, and records it.</summary>
    public async Task WriteLineAsync(string line)
    {
        Record("S: " + line);
        await WriteRawAsync(Encoding.UTF8.GetBytes(line + "\r\n")).ConfigureAwait(false);
    }

    /// <summary>Writes raw bytes without CRLF or transcript.</summary>
    public async Task WriteRawAsync(byte[] bytes) => await WriteRawAsync(bytes.AsMemory()).ConfigureAwait(false);

    internal async ValueTask WriteRawAsync(ReadOnlyMemory<byte> bytes)
    {
        _repliedSinceRead = true;
        var token = StartTimer();
        await _stream.WriteAsync(bytes, token).ConfigureAwait(false);
        await _stream.FlushAsync(token).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes (e.g. a BDAT chunk, RFC 3030 2); records "C: [n bytes]" in
    /// the transcript. Fails at end of stream or after <see cref="ReadTimeout"/>.
    /// </summary>
    public async Task<byte[]> ReadExactAsync(int count)
    {
        var buffer = new byte[count];
        await ReadExactAsync(buffer).ConfigureAwait(false);
        Record($"C: [{count} bytes]");
        return buffer;
    }

    /// <summary>Fills <paramref name="into"/> from the buffer, then from the connection.</summary>
    internal async ValueTask ReadExactAsync(Memory<byte> into)
    {
        var fromBuffer = Math.Min(into.Length, _end - _start);
        _buffer.AsSpan(_start, fromBuffer).CopyTo(into.Span);
        _start += fromBuffer;
        into = into[fromBuffer..];
        while (into.Length > 0)
        {
            var n = await ReadStreamAsync(into).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("eof in chunk");
            }
            into = into[n..];
        }
    }

    /// <summary>Reads and discards exactly <paramref name="count"/> bytes.</summary>
    internal async ValueTask SkipExactAsync(long count)
    {
        while (count > 0)
        {
            if (_end == _start && !await FillAsync().ConfigureAwait(false))
            {
                throw new EndOfStreamException("eof in chunk");
            }
            var n = (int)Math.Min(count, _end - _start);
            _start += n;
            count -= n;
        }
    }

    /// <summary>Reads a line and fails when it is not <paramref name="expected"/>.</summary>
    public async Task ExpectAsync(string expected)
    {
        var line = await ReadLineAsync().ConfigureAwait(false);
        if (line != expected)
        {
            throw new InvalidOperationException($"server expected \"{expected}\", got \"{line}\"");
        }
    }

    /// <summary>Reads a line and fails unless it starts with <paramref name="prefix"/>.</summary>
    public async Task<string> ExpectPrefixAsync(string prefix)
    {
        var line = await ReadLineAsync().ConfigureAwait(false);
        if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"server expected a line starting with \"{prefix}\", got \"{line}\"");
        }
        return line;
    }

    /// <summary>
    /// The common opening: "220 mox.example", EHLO from "localhost" answered with STARTTLS announced, and
    /// the client's STARTTLS read (not yet answered).
    /// </summary>
    public async Task GreetUntilStartTlsAsync()
    {
        await WriteLineAsync("220 mox.example").ConfigureAwait(false);
        await ExpectAsync("EHLO localhost").ConfigureAwait(false);
        await WriteLineAsync("250-mox.example").ConfigureAwait(false);
        await WriteLineAsync("250 STARTTLS").ConfigureAwait(false);
        await ExpectAsync("STARTTLS").ConfigureAwait(false);
    }

    /// <summary>
    /// Answers STARTTLS with 220 and offers a TLS handshake with <paramref name="certificate"/> that the
    /// client is expected to reject; returns when the client has gone.
    /// </summary>
    public async Task OfferRejectedTlsAsync(X509Certificate2 certificate)
    {
        await WriteLineAsync("220 go").ConfigureAwait(false);
        try
        {
            await StartTlsAsync(certificate).ConfigureAwait(false);
            await DrainAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // The client refused the certificate during or right after the handshake.
        }
    }

    /// <summary>
    /// Serves one non-pipelined transaction with one recipient: MAIL (after <paramref name="beforeMailReply"/>),
    /// RCPT, DATA and the message, each answered positively; <paramref name="finalReply"/> ends the data, or
    /// with <c>null</c> the server closes the connection without a verdict.
    /// </summary>
    public async Task<string> ServeTransactionAsync(string? finalReply = "250 queued", Func<Task>? beforeMailReply = null)
    {
        await ExpectPrefixAsync("MAIL FROM:<").ConfigureAwait(false);
        if (beforeMailReply is not null)
        {
            await beforeMailReply().ConfigureAwait(false);
        }
        await WriteLineAsync("250 ok").ConfigureAwait(false);
        await ExpectPrefixAsync("RCPT TO:<").ConfigureAwait(false);
        await WriteLineAsync("250 ok").ConfigureAwait(false);
        await ExpectAsync("DATA").ConfigureAwait(false);
        await WriteLineAsync("354 go").ConfigureAwait(false);
        var data = await ReadDataAsync().ConfigureAwait(false);
        if (finalReply is null)
        {
            Close();
            return data;
        }
        await WriteLineAsync(finalReply).ConfigureAwait(false);
        return data;
    }

    /// <summary>Reads message data up to the "." line and returns it unstuffed (RFC 5321 4.5.2), with CRLF line ends.</summary>
    public async Task<string> ReadDataAsync()
    {
        var sb = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync().ConfigureAwait(false) ?? throw new IOException("eof in data");
            if (line == ".")
            {
                return sb.ToString();
            }
            sb.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
        }
    }

    /// <summary>
    /// Runs the server side of a TLS handshake. Fails with <see cref="IOException"/> when the client sent
    /// bytes after its STARTTLS line that were already read (RFC 3207 4.2: a client must not pipeline past STARTTLS).
    /// </summary>
    public async Task StartTlsAsync(X509Certificate2 certificate, SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13, X509Certificate2[]? chain = null, bool requireClientCertificate = false, bool rejectClientCertificate = false)
    {
        if (HasBufferedInput)
        {
            throw new IOException("client sent data after STARTTLS before the TLS handshake");
        }
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => !rejectClientCertificate);
        var options = new SslServerAuthenticationOptions
        {
            EnabledSslProtocols = protocols,
            ClientCertificateRequired = requireClientCertificate,
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, chain is null ? null : new X509Certificate2Collection(chain), offline: true),
        };
        await ssl.AuthenticateAsServerAsync(options, StartTimer()).ConfigureAwait(false);
        ClientCertificate = ssl.RemoteCertificate is null ? null : new X509Certificate2(ssl.RemoteCertificate);
        ServerName = ssl.TargetHostName;
        TlsUnique = ChannelBindingData.TryGetTlsUnique(ssl);
        _stream = ssl;
        _repliedSinceRead = true;
        Record("(tls)");
    }

    /// <summary>Waits for the client to send something (e.g. its TLS ClientHello) and discards it; returns the bytes read.</summary>
    public async Task<int> ReadSomeAsync()
    {
        if (HasBufferedInput)
        {
            var buffered = _end - _start;
            _start = _end;
            return buffered;
        }
        return await ReadStreamAsync(new byte[4096]).ConfigureAwait(false);
    }

    /// <summary>Reads until the client closes; returns the number of bytes read.</summary>
    public async Task<int> DrainAsync()
    {
        var total = _end - _start;
        _start = _end;
        try
        {
            var buf = new byte[4096];
            int n;
            while ((n = await ReadStreamAsync(buf).ConfigureAwait(false)) > 0)
            {
                total += n;
            }
        }
        catch (IOException)
        {
        }
        return total;
    }

    /// <summary>Reads until the client closes, at most <paramref name="bytesPerTick"/> bytes per <paramref name="tick"/>; returns the bytes read.</summary>
    public async Task<long> ReadSlowlyAsync(int bytesPerTick, TimeSpan tick)
    {
        var buffer = new byte[bytesPerTick];
        long total = 0;
        try
        {
            while (true)
            {
                await Task.Delay(tick).ConfigureAwait(false);
                var got = 0;
                while (got < bytesPerTick)
                {
                    var n = await ReadStreamAsync(buffer.AsMemory(got)).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return total + got;
                    }
                    got += n;
                }
                total += got;
            }
        }
        catch (IOException)
        {
            return total;
        }
    }

    /// <summary>Writes <paramref name="text"/> one byte at a time, <paramref name="delay"/> apart; stops quietly when the client has gone.</summary>
    public async Task TrickleAsync(string text, TimeSpan delay)
    {
        try
        {
            foreach (var b in Encoding.ASCII.GetBytes(text))
            {
                await WriteRawAsync(new[] { b }).ConfigureAwait(false);
                await Task.Delay(delay).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Closes the connection at once.</summary>
    public void Close() => _stream.Dispose();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _timer.Dispose();
    }
}
