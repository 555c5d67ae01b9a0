using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace SmtpDeliver.Testing;

/// <summary>One connection of an <see cref="SmtpSink"/>: the receiving side of RFC 5321 with the configured extensions.</summary>
internal sealed class SinkConnection : IDisposable
{
    private readonly SmtpSink _sink;
    private readonly SmtpSinkOptions _options;
    private readonly ServerSession _session;
    private readonly int _number;
    private readonly ArrayBufferWriter<byte> _pending = new(1024);
    private readonly MemoryStream _data = new();
    private readonly List<string> _recipients = [];
    private readonly List<string> _recipientParameters = [];
    private string? _mailFrom;
    private string _mailParameters = "";
    private bool _chunkFailed;
    private int _rcptCommands;
    private long _chunkedSize;

    public SinkConnection(SmtpSink sink, ServerSession session, int number)
    {
        _sink = sink;
        _options = sink.Options;
        _session = session;
        _number = number;
        // RFC 2920 3.1: replies to a group of pipelined commands go out together, when the server would wait.
        session.BeforeRead = FlushAsync;
    }

    private bool Has(SmtpSinkExtensions extension) => _options.Extensions.HasFlag(extension);

    private void Queue(string reply)
    {
        _session.Record("S: " + reply);
        var span = _pending.GetSpan(Encoding.UTF8.GetMaxByteCount(reply.Length) + 2);
        var n = Encoding.UTF8.GetBytes(reply, span);
        span[n] = (byte)'\r';
        span[n + 1] = (byte)'\n';
        _pending.Advance(n + 2);
    }

    private async ValueTask FlushAsync()
    {
        if (_pending.WrittenCount > 0)
        {
            var bytes = _pending.WrittenMemory;
            await _session.WriteRawAsync(bytes).ConfigureAwait(false);
            _pending.ResetWrittenCount();
        }
    }

    private void ResetTransaction()
    {
        _mailFrom = null;
        _mailParameters = "";
        _recipients.Clear();
        _recipientParameters.Clear();
        _data.SetLength(0);
        _chunkFailed = false;
        _chunkedSize = 0;
        _rcptCommands = 0;
    }

    public async Task RunAsync()
    {
        Queue(_options.Greeting ?? $"220 {_options.HostName} ESMTP");
        while (true)
        {
            if (await _session.ReadLineBytesAsync().ConfigureAwait(false) is not { } bytes)
            {
                return;
            }
            var line = Encoding.UTF8.GetString(bytes.Span);
            _session.Record("C: " + line);
            var sp = line.IndexOf(' ', StringComparison.Ordinal);
            var verb = (sp < 0 ? line : line[..sp]).ToUpperInvariant();
            string? reply = null;
            if (_options.Reply is { } hook)
            {
                reply = await hook(new SinkCommand(_number, verb, line, _rcptCommands, _session.IsTls)).ConfigureAwait(false);
                if (reply is "")
                {
                    return;
                }
            }
            if (!await HandleAsync(verb, line, reply).ConfigureAwait(false))
            {
                await FlushAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Handles one command; false when the connection ends.</summary>
    private async ValueTask<bool> HandleAsync(string verb, string line, string? reply)
    {
        switch (verb)
        {
            case "BDAT":
                return await BdatAsync(line, reply).ConfigureAwait(false);
            case "MAIL":
                if (reply is null && _mailFrom is not null)
                {
                    reply = "503 5.5.1 nested MAIL command";
                }
                Queue(reply ?? "250 2.1.0 sender ok");
                if (reply is null or ['2', ..])
                {
                    ResetTransaction();
                    (_mailFrom, _mailParameters) = Path(line);
                }
                return true;
            case "RCPT":
                _rcptCommands++;
                if (reply is null && _mailFrom is null)
                {
                    reply = "503 5.5.1 need MAIL first";
                }
                Queue(reply ?? "250 2.1.5 recipient ok");
                if (reply is null or ['2', ..])
                {
                    var (address, parameters) = Path(line);
                    _recipients.Add(address);
                    _recipientParameters.Add(parameters);
                }
                return true;
            case "DATA":
                if (reply is null && (_recipients.Count == 0 || _chunkedSize > 0))
                {
                    reply = _recipients.Count == 0 ? "554 5.5.1 no valid recipients" : "503 5.5.1 DATA after BDAT";
                }
                Queue(reply ?? "354 end data with <CR><LF>.<CR><LF>");
                return reply is not null and not ['3', ..] || await DataAsync().ConfigureAwait(false);
            case "QUIT":
                Queue(reply ?? "221 2.0.0 bye");
                return false;
        }
        if (reply is not null)
        {
            Queue(reply);
            return true;
        }
        switch (verb)
        {
            case "EHLO":
                ResetTransaction();
                Ehlo(line);
                return true;
            case "HELO":
                ResetTransaction();
                Queue($"250 {_options.HostName}");
                return true;
            case "STARTTLS" when Has(SmtpSinkExtensions.StartTls) && !_session.IsTls:
                Queue("220 2.0.0 ready to start TLS");
                await FlushAsync().ConfigureAwait(false);
                if (_session.HasBufferedInput)
                {
                    // RFC 3207 4.2 (and CVE-2011-0411): bytes pipelined past STARTTLS must not survive into the TLS session.
                    throw new IOException("client pipelined past STARTTLS");
                }
                await _session.StartTlsAsync(_options.Certificate!, _options.TlsProtocols).ConfigureAwait(false);
                // RFC 3207 4.2: everything learned before TLS is forgotten.
                ResetTransaction();
                return true;
            case "AUTH" when Has(SmtpSinkExtensions.Auth):
                if (_options.AuthExchange is { } exchange)
                {
                    await FlushAsync().ConfigureAwait(false);
                    await exchange(_session, line).ConfigureAwait(false);
                    return true;
                }
                return await AuthPlainAsync(line).ConfigureAwait(false);
            case "RSET":
                ResetTransaction();
                Queue("250 2.0.0 ok");
                return true;
            case "NOOP":
                Queue("250 2.0.0 ok");
                return true;
            default:
                Queue("500 5.5.2 command not recognized");
                return true;
        }
    }

    private void Ehlo(string line)
    {
        var lines = new List<string> { _options.HostName };
        void Add(SmtpSinkExtensions extension, string keyword)
        {
            if (Has(extension))
            {
                lines.Add(keyword);
            }
        }
        Add(SmtpSinkExtensions.Pipelining, "PIPELINING");
        Add(SmtpSinkExtensions.Size, $"SIZE {_options.MaxMessageSize}");
        Add(SmtpSinkExtensions.EightBitMime, "8BITMIME");
        Add(SmtpSinkExtensions.SmtpUtf8, "SMTPUTF8");
        Add(SmtpSinkExtensions.Chunking, "CHUNKING");
        Add(SmtpSinkExtensions.BinaryMime, "BINARYMIME");
        Add(SmtpSinkExtensions.Dsn, "DSN");
        Add(SmtpSinkExtensions.EnhancedStatusCodes, "ENHANCEDSTATUSCODES");
        if (!_session.IsTls)
        {
            Add(SmtpSinkExtensions.StartTls, "STARTTLS");
        }
        else
        {
            // RFC 8689 4.1: REQUIRETLS only on a TLS connection.
            Add(SmtpSinkExtensions.RequireTls, "REQUIRETLS");
        }
        Add(SmtpSinkExtensions.Auth, "AUTH " + string.Join(' ', _options.AuthMechanisms));
        Add(SmtpSinkExtensions.Limits, "LIMITS " + _options.Limits);
        lines.AddRange(_options.MoreExtensions);
        _ = line;
        for (var i = 0; i < lines.Count; i++)
        {
            Queue((i == lines.Count - 1 ? "250 " : "250-") + lines[i]);
        }
    }

    /// <summary>AUTH PLAIN (RFC 4616) with an initial response or after a 334.</summary>
    private async ValueTask<bool> AuthPlainAsync(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || !words[1].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
        {
            Queue("504 5.5.4 mechanism not supported");
            return true;
        }
        var response = words.Length > 2 ? words[2] : null;
        if (response is null)
        {
            Queue("334 ");
            response = await _session.ReadLineAsync().ConfigureAwait(false);
            if (response is null)
            {
                return false;
            }
        }
        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(response.Length)];
        if (Base64.DecodeFromUtf8(Encoding.ASCII.GetBytes(response), decoded, out _, out var written) != OperationStatus.Done)
        {
            Queue("501 5.5.2 bad base64");
            return true;
        }
        var parts = Encoding.UTF8.GetString(decoded, 0, written).Split('\0');
        var ok = parts.Length == 3 && (_options.Authenticate?.Invoke(parts[1], parts[2]) ?? true);
        Queue(ok ? "235 2.7.0 authentication succeeded" : "535 5.7.8 authentication credentials invalid");
        return true;
    }

    /// <summary>Reads message data to the end-of-data line, removing dot-stuffing (RFC 5321 4.5.2); false when the connection ends.</summary>
    private async ValueTask<bool> DataAsync()
    {
        _data.SetLength(0);
        long size = 0;
        while (true)
        {
            var bytes = await _session.ReadLineBytesAsync().ConfigureAwait(false) ?? throw new EndOfStreamException("eof in data");
            var span = bytes.Span;
            if (span is [(byte)'.'])
            {
                break;
            }
            if (span is [(byte)'.', ..])
            {
                span = span[1..];
            }
            size += span.Length + 2;
            if (size > _options.CloseAfterDataBytes)
            {
                return false;
            }
            if (_options.CaptureMessages && size <= _options.MaxMessageSize)
            {
                _data.Write(span);
                _data.Write("\r\n"u8);
            }
        }
        _session.Record($"C: [{size} bytes of data]");
        return await CompleteAsync(size, chunked: false).ConfigureAwait(false);
    }

    /// <summary>BDAT (RFC 3030 2): reads the chunk whatever the reply, so the stream stays in step.</summary>
    private async ValueTask<bool> BdatAsync(string line, string? reply)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!Has(SmtpSinkExtensions.Chunking) || words.Length is < 2 or > 3 || !long.TryParse(words[1], out var count) || count < 0
            || (words.Length == 3 && !words[2].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
        {
            // The chunk's end cannot be known: the connection cannot continue.
            Queue("501 5.5.4 bad BDAT syntax");
            return false;
        }
        var last = words.Length == 3;
        if (reply is null && _recipients.Count == 0)
        {
            reply = "503 5.5.1 no valid recipients";
        }
        if (reply is null && _chunkFailed)
        {
            reply = "503 5.5.1 earlier chunk refused";
        }
        var keep = reply is null && _options.CaptureMessages && _chunkedSize + count <= _options.MaxMessageSize;
        var closeAt = _options.CloseAfterDataBytes - _chunkedSize;
        if (count > closeAt)
        {
            await _session.SkipExactAsync(closeAt.Value).ConfigureAwait(false);
            return false;
        }
        if (keep)
        {
            var start = (int)_data.Length;
            _data.SetLength(start + count);
            await _session.ReadExactAsync(_data.GetBuffer().AsMemory(start, (int)count)).ConfigureAwait(false);
        }
        else
        {
            await _session.SkipExactAsync(count).ConfigureAwait(false);
        }
        _session.Record($"C: [{count} bytes]");
        if (reply is not null)
        {
            _chunkFailed = true;
            Queue(reply);
            return true;
        }
        _chunkedSize += count;
        if (!last)
        {
            Queue($"250 2.0.0 {count} bytes received");
            return true;
        }
        return await CompleteAsync(_chunkedSize, chunked: true).ConfigureAwait(false);
    }

    /// <summary>Ends a transaction: refuses a message over the size limit (RFC 1870 6), else records it and replies.</summary>
    private async ValueTask<bool> CompleteAsync(long size, bool chunked)
    {
        if (size > _options.MaxMessageSize)
        {
            ResetTransaction();
            Queue("552 5.3.4 message too big");
            return true;
        }
        var message = new ReceivedMessage(_number, _mailFrom ?? "", _mailParameters, [.. _recipients], [.. _recipientParameters],
            _options.CaptureMessages ? _data.ToArray() : ReadOnlyMemory<byte>.Empty, _session.IsTls, chunked);
        var reply = _options.MessageReply is { } hook ? await hook(message).ConfigureAwait(false) : null;
        if (reply is "")
        {
            return false;
        }
        ResetTransaction();
        if (reply is null or ['2', ..])
        {
            _sink.Add(_options.CaptureMessages ? message : null);
        }
        Queue(reply ?? "250 2.6.0 message accepted");
        return true;
    }

    public void Dispose() => _data.Dispose();

    /// <summary>The path of a MAIL or RCPT command (between the angle brackets) and the parameters after it.</summary>
    private static (string Path, string Parameters) Path(string line)
    {
        var lt = line.IndexOf('<', StringComparison.Ordinal);
        var gt = lt < 0 ? -1 : line.IndexOf('>', lt);
        return gt > lt ? (line[(lt + 1)..gt], line[(gt + 1)..].Trim()) : ("", "");
    }
}
