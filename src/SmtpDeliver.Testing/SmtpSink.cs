using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SmtpDeliver.Testing;

/// <summary>
/// A ready-made ESMTP server on 127.0.0.1 for tests, demos and benchmarks: it answers any client like a
/// receiving MTA (EHLO with the configured <see cref="SmtpSinkOptions.Extensions"/>, STARTTLS, AUTH,
/// MAIL/RCPT/DATA/BDAT/RSET/NOOP/QUIT, many transactions per connection, many connections at once) and keeps
/// what it receives in <see cref="Messages"/>. Replies to pipelined commands are written together. Faults
/// are injected per command (<see cref="SmtpSinkOptions.Reply"/>), per message and mid-data. Every
/// connection is bounded: line length, message size, a timeout per read and write.
/// </summary>
/// <example><code>
/// await using var sink = SmtpSink.Start();
/// // connect a client to sink.EndPoint, deliver, then:
/// Assert.Equal("hello\r\n", sink.Messages[0].Text);
/// </code></example>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (Socket Socket, Task Task)> _open = new();
    private readonly List<ReceivedMessage> _messages = [];
    private readonly ConcurrentQueue<Exception> _errors = new();
    private readonly List<string>? _transcript;
    private readonly Task _accepting;
    private int _connections;
    private long _flights;
    private long _messageCount;

    private SmtpSink(SmtpSinkOptions options)
    {
        if (options.Extensions.HasFlag(SmtpSinkExtensions.StartTls) && options.Certificate is null)
        {
            throw new ArgumentException("STARTTLS needs a certificate", nameof(options));
        }
        Options = options;
        _transcript = options.RecordTranscript ? [] : null;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Starts a sink listening on an ephemeral port of 127.0.0.1.</summary>
    /// <param name="options">Its behaviour; null for the defaults.</param>
    public static SmtpSink Start(SmtpSinkOptions? options = null) => new(options ?? new SmtpSinkOptions());

    /// <summary>The options it was started with.</summary>
    public SmtpSinkOptions Options { get; }

    /// <summary>Where the sink listens.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// The client flights so far, over all connections: bursts of client bytes between two server writes.
    /// A pipelining client (RFC 2920) needs fewer; each STARTTLS handshake starts a new one.
    /// </summary>
    public long Flights => Interlocked.Read(ref _flights);

    /// <summary>The messages accepted so far, also when <see cref="SmtpSinkOptions.CaptureMessages"/> is off.</summary>
    public long MessageCount => Interlocked.Read(ref _messageCount);

    /// <summary>The messages accepted so far, in order (empty when <see cref="SmtpSinkOptions.CaptureMessages"/> is off).</summary>
    public IReadOnlyList<ReceivedMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>The lines so far when <see cref="SmtpSinkOptions.RecordTranscript"/> is on: "S: " written, "C: " read, "(tls)" after a handshake.</summary>
    public IReadOnlyList<string> Transcript
    {
        get
        {
            if (_transcript is null)
            {
                return [];
            }
            lock (_transcript)
            {
                return [.. _transcript];
            }
        }
    }

    /// <summary>Why connections ended abnormally (a client that broke the protocol, a timeout, a failed handshake).</summary>
    public IReadOnlyList<Exception> Errors => [.. _errors];

    /// <summary>A socket connected to the sink.</summary>
    public async Task<Socket> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(EndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    internal void Add(ReceivedMessage? message)
    {
        Interlocked.Increment(ref _messageCount);
        if (message is not null)
        {
            lock (_messages)
            {
                _messages.Add(message);
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
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
            var number = Interlocked.Increment(ref _connections);
            var start = new TaskCompletionSource();
            var task = ServeAsync(socket, number, start.Task);
            _open[number] = (socket, task);
            start.SetResult();
        }
    }

    private async Task ServeAsync(Socket socket, int number, Task registered)
    {
        await registered.ConfigureAwait(false);
        var session = new ServerSession(new NetworkStream(socket, ownsSocket: true), _transcript, readAhead: true, bufferSize: 16 * 1024)
        {
            ReadTimeout = Options.Timeout,
            MaxLineLength = Options.MaxLineLength,
            FlightStarted = () => Interlocked.Increment(ref _flights),
        };
        try
        {
            using var connection = new SinkConnection(this, session, number);
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (!_stop.IsCancellationRequested)
            {
                _errors.Enqueue(e);
            }
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
            _open.TryRemove(number, out _);
        }
    }

    /// <summary>
    /// Waits until every connection accepted so far has ended (the client quit or closed, or a timeout);
    /// at most <paramref name="timeout"/> (15 seconds by default). Connection failures are in <see cref="Errors"/>.
    /// </summary>
    public async Task CompletionAsync(TimeSpan? timeout = null) =>
        await Task.WhenAll(_open.Values.Select(o => o.Task)).WaitAsync(timeout ?? TimeSpan.FromSeconds(15)).ConfigureAwait(false);

    /// <summary>Stops listening, closes every open connection and waits for them to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        var open = _open.Values.ToList();
        foreach (var (socket, _) in open)
        {
            socket.Dispose();
        }
        await Task.WhenAll(open.Select(o => o.Task)).WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        _listener.Dispose();
        _stop.Dispose();
    }
}
