using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SmtpDeliver.Cli.Demo;

/// <summary>A message the loopback server accepted.</summary>
/// <param name="MailFrom">The envelope sender.</param>
/// <param name="RcptTo">The accepted envelope recipients.</param>
/// <param name="Data">The message as received, dot-stuffing removed, CRLF line ends.</param>
/// <param name="Tls">True when it arrived over TLS.</param>
internal sealed record ReceivedMessage(string MailFrom, IReadOnlyList<string> RcptTo, byte[] Data, bool Tls);

/// <summary>
/// A small SMTP server on 127.0.0.1 for the no-network demo: ESMTP with PIPELINING, SIZE, 8BITMIME,
/// SMTPUTF8, ENHANCEDSTATUSCODES, STARTTLS (REQUIRETLS after TLS), and MAIL/RCPT/DATA/RSET/NOOP/QUIT.
/// Recipients whose local part is "reject" are refused with 550 5.1.1. It keeps what it receives.
/// </summary>
internal sealed class LoopbackSmtpServer : IAsyncDisposable
{
    private const int MaxMessageSize = 10 * 1024 * 1024;
    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly string _hostName;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<ReceivedMessage> _received = [];

    public LoopbackSmtpServer(string hostName, X509Certificate2 certificate)
    {
        _hostName = hostName;
        _certificate = certificate;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Where the server listens.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The messages received so far.</summary>
    public IReadOnlyList<ReceivedMessage> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            socket.NoDelay = true;
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var session = new Session(this, new NetworkStream(socket, ownsSocket: true), timeout.Token);
        try
        {
            await session.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or AuthenticationException or SocketException)
        {
            // A client that goes away ends its session; nothing to report for a demo server.
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        _listener.Dispose();
        _stop.Dispose();
    }

    /// <summary>One connection's SMTP state machine.</summary>
    private sealed class Session(LoopbackSmtpServer server, Stream stream, CancellationToken cancellationToken) : IAsyncDisposable
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private Stream _stream = stream;
        private int _start;
        private int _end;
        private bool _tls;
        private string? _mailFrom;
        private readonly List<string> _rcptTo = [];
        private readonly MemoryStream _output = new();

        public async Task RunAsync()
        {
            await ReplyAsync($"220 {server._hostName} ESMTP SmtpDeliver demo").ConfigureAwait(false);
            while (true)
            {
                var line = await ReadLineAsync().ConfigureAwait(false);
                if (line is null)
                {
                    return;
                }
                var verb = (line.IndexOf(' ', StringComparison.Ordinal) is var sp and >= 0 ? line[..sp] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        Queue($"250-{server._hostName}", "250-PIPELINING", $"250-SIZE {MaxMessageSize}", "250-8BITMIME", "250-SMTPUTF8",
                            "250-ENHANCEDSTATUSCODES", _tls ? "250-REQUIRETLS" : "250-STARTTLS", "250 LIMITS RCPTMAX=100");
                        break;
                    case "HELO":
                        Queue($"250 {server._hostName}");
                        break;
                    case "STARTTLS" when !_tls:
                        await ReplyAsync("220 2.0.0 go ahead").ConfigureAwait(false);
                        if (_end > _start)
                        {
                            // RFC 3207 5: nothing may be pipelined after STARTTLS.
                            return;
                        }
                        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
                        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                        {
                            ServerCertificate = server._certificate,
                            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        }, cancellationToken).ConfigureAwait(false);
                        _stream = ssl;
                        _tls = true;
                        ResetTransaction();
                        continue;
                    case "MAIL":
                        _mailFrom = Path(line);
                        _rcptTo.Clear();
                        Queue("250 2.1.0 sender ok");
                        break;
                    case "RCPT" when _mailFrom is null:
                        Queue("503 5.5.1 need MAIL first");
                        break;
                    case "RCPT":
                        var rcpt = Path(line);
                        if (rcpt.StartsWith("reject@", StringComparison.OrdinalIgnoreCase))
                        {
                            Queue("550 5.1.1 no such user");
                        }
                        else
                        {
                            _rcptTo.Add(rcpt);
                            Queue("250 2.1.5 recipient ok");
                        }
                        break;
                    case "DATA" when _rcptTo.Count == 0:
                        Queue("554 5.5.1 no valid recipients");
                        break;
                    case "DATA":
                        await ReplyAsync("354 end data with <CR><LF>.<CR><LF>").ConfigureAwait(false);
                        if (!await ReadDataAsync().ConfigureAwait(false))
                        {
                            return;
                        }
                        lock (server._received)
                        {
                            server._received.Add(new ReceivedMessage(_mailFrom!, [.. _rcptTo], _output.ToArray(), _tls));
                        }
                        ResetTransaction();
                        Queue("250 2.6.0 message accepted");
                        break;
                    case "RSET":
                        ResetTransaction();
                        Queue("250 2.0.0 ok");
                        break;
                    case "NOOP":
                        Queue("250 2.0.0 ok");
                        break;
                    case "QUIT":
                        await ReplyAsync("221 2.0.0 bye").ConfigureAwait(false);
                        return;
                    default:
                        Queue("500 5.5.2 unknown command");
                        break;
                }
                // RFC 2920 3.1: replies to a pipelined group may be sent together; flush when the client waits.
                if (_end == _start)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }
        }

        private readonly StringBuilder _pending = new();

        private void Queue(params string[] lines)
        {
            foreach (var l in lines)
            {
                _pending.Append(l).Append("\r\n");
            }
        }

        private async Task ReplyAsync(string line)
        {
            Queue(line);
            await FlushAsync().ConfigureAwait(false);
        }

        private async Task FlushAsync()
        {
            if (_pending.Length == 0)
            {
                return;
            }
            var bytes = Encoding.UTF8.GetBytes(_pending.ToString());
            _pending.Clear();
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }

        private void ResetTransaction()
        {
            _mailFrom = null;
            _rcptTo.Clear();
            _output.SetLength(0);
        }

        private static string Path(string line)
        {
            var lt = line.IndexOf('<', StringComparison.Ordinal);
            var gt = line.IndexOf('>', StringComparison.Ordinal);
            return lt >= 0 && gt > lt ? line[(lt + 1)..gt] : string.Empty;
        }

        /// <summary>Reads the message up to the end-of-data line, removing dot-stuffing (RFC 5321 4.5.2).</summary>
        private async Task<bool> ReadDataAsync()
        {
            _output.SetLength(0);
            while (true)
            {
                var (line, ok) = await ReadRawLineAsync().ConfigureAwait(false);
                if (!ok)
                {
                    return false;
                }
                if (line.Length == 1 && line.Span[0] == '.')
                {
                    return true;
                }
                var span = line.Span;
                _output.Write(span.Length > 0 && span[0] == '.' ? span[1..] : span);
                _output.Write("\r\n"u8);
                if (_output.Length > MaxMessageSize)
                {
                    return false;
                }
            }
        }

        private async Task<string?> ReadLineAsync()
        {
            var (line, ok) = await ReadRawLineAsync().ConfigureAwait(false);
            return ok ? Encoding.UTF8.GetString(line.Span) : null;
        }

        /// <summary>A line without CRLF; the memory is valid until the next read.</summary>
        private async Task<(ReadOnlyMemory<byte> Line, bool Ok)> ReadRawLineAsync()
        {
            while (true)
            {
                var lf = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (lf >= 0)
                {
                    var lineStart = _start;
                    var lineEnd = _start + lf;
                    _start = lineEnd + 1;
                    if (lineEnd > lineStart && _buffer[lineEnd - 1] == '\r')
                    {
                        lineEnd--;
                    }
                    return (_buffer.AsMemory(lineStart, lineEnd - lineStart), true);
                }
                if (_start > 0)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _buffer.Length)
                {
                    return (default, false);
                }
                var n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    return (default, false);
                }
                _end += n;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            await _output.DisposeAsync().ConfigureAwait(false);
        }
    }
}
