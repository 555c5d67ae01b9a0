using System.Diagnostics;
using System.Net.Sockets;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Diagnostics;
using SmtpDeliver.Names;
using SmtpDeliver.Tls;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver;

/// <summary>
/// One SMTP session on one connection (RFC 5321): greeting, EHLO (HELO fallback), STARTTLS or implicit
/// TLS with our own PKIX verification, AUTH, then any number of pipelined deliveries. A client is not
/// thread-safe: one operation at a time. After an I/O or protocol error it is "broken" and refuses
/// further use; dispose it.
/// </summary>
public sealed partial class SmtpClientSession : IAsyncDisposable
{
    private readonly SmtpTransport _transport;
    // The connection under the session when it was given a socket or end point; null for another stream.
    private readonly Socket? _socket;
    private readonly ILogger _logger;
    private readonly SmtpSessionOptions _options;
    private readonly SmtpTimeouts _timeouts;
    private readonly Domain _remoteHostname;
    private readonly bool _verifyPkix;
    private readonly string _localIp;
    private readonly string _remoteIp;
    private readonly TlsRptResult _recipientDomainResult;
    private readonly TlsRptResult _hostResult;
    private readonly SmtpMetrics _metrics;
    private readonly Activity? _activity;
    private (string Outcome, string? ResultType)? _pendingTlsHandshake;
    private bool _closed;
    private bool _needRset;
    private bool _firstReadAfterHandshake;
    private int _busy;
    private int _aborted;
    private int _released;

    private SmtpClientSession(Stream stream, SmtpSessionOptions options)
    {
        _socket = (stream as NetworkStream)?.Socket;
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _timeouts = options.Timeouts;
        var remoteHostname = options.RemoteHostname;
        _remoteHostname = remoteHostname;
        _verifyPkix = options.EnforcePkix;
        _localIp = AddressText(options.LocalEndPoint);
        _remoteIp = AddressText(options.RemoteEndPoint);
        _recipientDomainResult = options.RecipientDomainResult ?? new TlsRptResult(PolicyType.NoPolicyFound, remoteHostname.Ascii);
        _hostResult = options.HostResult ?? new TlsRptResult(PolicyType.NoPolicyFound, remoteHostname.Ascii);
        _transport = new SmtpTransport(stream, options.Limits, _logger, options.TraceSensitive, options.TimeProvider);
        _transport.SetSessionDeadline(options.SessionTimeout);
        _metrics = SmtpMetrics.For(options.MeterFactory);
        // Ended in AbortAsync or Detach (SmtpClientSession.Close.cs).
        _activity = SmtpActivitySource.StartSession(remoteHostname, options.RemoteEndPoint);
    }

    // A dual-mode socket reports IPv4 peers as ::ffff:a.b.c.d; TLSRPT wants the IPv4 form.
    private static string AddressText(IPEndPoint? endPoint) => endPoint?.Address switch
    {
        null => string.Empty,
        { IsIPv4MappedToIPv6: true } a => a.MapToIPv4().ToString(),
        var a => a.ToString(),
    };

    /// <summary>
    /// Connects to <paramref name="endPoint"/> and starts an SMTP session there, as
    /// <see cref="ConnectAsync(Socket, SmtpSessionOptions, CancellationToken)"/> does.
    /// </summary>
    /// <exception cref="SocketException">The connection could not be made.</exception>
    /// <exception cref="SmtpException">The server refused, the connection failed, or TLS failed.</exception>
    public static async Task<SmtpClientSession> ConnectAsync(IPEndPoint endPoint, SmtpSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        CheckOptions(options);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await ConnectAsync(socket, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts an SMTP session on a connected socket: reads the greeting, says EHLO as
    /// <see cref="SmtpSessionOptions.EhloHostname"/>, does TLS as <see cref="SmtpSessionOptions.TlsMode"/> says
    /// (verifying the certificate for <see cref="SmtpSessionOptions.RemoteHostname"/>), and authenticates if
    /// <see cref="SmtpSessionOptions.Auth"/> is set. The session owns the socket from here on; on failure it
    /// is closed (after QUIT when the session is still in step). Nagle's algorithm is turned off, as every
    /// command group is written in one write.
    /// </summary>
    /// <param name="socket">A connected TCP socket.</param>
    /// <param name="options">The session's options; <see cref="SmtpSessionOptions.EhloHostname"/> is required.</param>
    /// <param name="cancellationToken">Cancels the setup; the connection is closed.</param>
    /// <exception cref="ArgumentException">No EHLO host name.</exception>
    /// <exception cref="SmtpException">The server refused, the connection failed, or TLS failed.</exception>
    public static Task<SmtpClientSession> ConnectAsync(Socket socket, SmtpSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(options);
        socket.NoDelay = true;
        options = options with
        {
            LocalEndPoint = options.LocalEndPoint ?? socket.LocalEndPoint as IPEndPoint,
            RemoteEndPoint = options.RemoteEndPoint ?? socket.RemoteEndPoint as IPEndPoint,
        };
        return ConnectAsync(new NetworkStream(socket, ownsSocket: true), options, cancellationToken);
    }

    /// <summary>
    /// Starts an SMTP session on a connected stream, as
    /// <see cref="ConnectAsync(Socket, SmtpSessionOptions, CancellationToken)"/>. The session owns the stream
    /// from here on; on failure it is disposed.
    /// </summary>
    /// <exception cref="ArgumentException">No EHLO host name.</exception>
    /// <exception cref="SmtpException">The server refused, the connection failed, or TLS failed.</exception>
    public static async Task<SmtpClientSession> ConnectAsync(Stream stream, SmtpSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            CheckOptions(options);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var client = new SmtpClientSession(stream, options);
        try
        {
            if (options.TlsMode == TlsMode.Implicit)
            {
                await client.HandshakeAsync(SmtpCommand.Greeting, cancellationToken).ConfigureAwait(false);
            }
            await client.HelloAsync(options.TlsMode, options.EhloHostname, cancellationToken).ConfigureAwait(false);
            if (options.Auth is not null)
            {
                await client.AuthenticateAsync(options.Auth, cancellationToken).ConfigureAwait(false);
            }
            return client;
        }
        catch (Exception e)
        {
            SmtpActivitySource.RecordException(client._activity, e);
            await client.QuitAfterFailedSetupAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    private static void CheckOptions(SmtpSessionOptions options)
    {
        if (options.EhloHostname.IsEmpty)
        {
            throw new ArgumentException("SmtpSessionOptions.EhloHostname is required: our host name for EHLO", nameof(options));
        }
    }

    /// <summary>The extensions the server announced in its last EHLO reply (after TLS, only those).</summary>
    public EhloExtensions Extensions { get; private set; } = EhloExtensions.None;

    /// <summary>The server's greeting after the code, e.g. "mx.example ESMTP"; used as TLSRPT receiving-mx-helo.</summary>
    public string RemoteGreeting { get; private set; } = string.Empty;

    /// <summary>The TLS connection, or <c>null</c> when the connection is not encrypted.</summary>
    public TlsConnectionInfo? Tls { get; private set; }

    /// <summary>The PKIX verification of the server certificate; <c>null</c> without TLS.</summary>
    public PkixVerification? Pkix { get; private set; }

    /// <summary>The DANE verification of the server certificate; <c>null</c> without TLS or without TLSA records.</summary>
    public Dane.DaneVerification? Dane { get; private set; }

    /// <summary>The TLSA record that verified the server certificate; <c>null</c> when none did or DANE was not used.</summary>
    public Dane.TlsaRecord? VerifiedDaneRecord => Dane?.Record;

    /// <summary>True when the server announced 8BITMIME.</summary>
    public bool Supports8BitMime => Extensions.EightBitMime;

    /// <summary>True when the server announced SMTPUTF8.</summary>
    public bool SupportsSmtpUtf8 => Extensions.SmtpUtf8;

    /// <summary>True when the server announced STARTTLS (before TLS; the EHLO after TLS does not repeat it).</summary>
    public bool SupportsStartTls { get; private set; }

    /// <summary>True when the server announced REQUIRETLS.</summary>
    public bool SupportsRequireTls => Extensions.RequireTls;

    /// <summary>True when the connection cannot be used any more: after an I/O or protocol error, or after closing.</summary>
    public bool IsBroken => _transport.Broken || _closed;

    /// <summary>
    /// Sets the bound on the rest of the session from now (<see cref="SmtpSessionOptions.SessionTimeout"/>),
    /// for a session reused by a later delivery attempt with its own deadline; <c>null</c> for none.
    /// </summary>
    internal void SetSessionDeadline(TimeSpan? remaining) => _transport.SetSessionDeadline(remaining);

    /// <summary>
    /// True when an idle session shows the server has spoken or gone since its last reply: reply bytes
    /// buffered unread, or the socket readable (data such as a 421 or a TLS close_notify, a FIN, or a reset).
    /// Either way it is no place for a new transaction. Cheap and non-blocking; false when unknown (a session
    /// over a stream that is not a socket). Checked before reusing an idle session: with pipelined BDAT a
    /// write into a connection the server already closed succeeds, and the lost replies would make the
    /// delivery uncertain instead of retried.
    /// </summary>
    internal bool IdleConnectionShowsActivity()
    {
        if (IsBroken || _transport.BufferedBytes > 0)
        {
            return true;
        }
        try
        {
            return _socket is { } socket && socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private static SmtpException Status(Reply reply, SmtpCommand command, string expected, bool permanent) =>
        new(SmtpErrorReason.Status, permanent, command, $"server sent unexpected reply to {command}: got {reply.Code}, expected {expected}",
            reply.ToResponse(command, permanent, SmtpErrorReason.Status));

    private static SmtpException Status(Reply reply, SmtpCommand command, string expected) =>
        Status(reply, command, expected, reply.Class == 5);

    /// <summary>Reads a reply; enhanced codes parsed when announced, or when <paramref name="enhancedCodes"/> forces it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Reply> ReadAsync(SmtpCommand command, TimeSpan timeout, CancellationToken cancellationToken, bool? enhancedCodes = null)
    {
        Reply reply;
        // The command duration metric: from here (the command is flushed, or its pipelined group is) to
        // the whole reply.
        var started = Stopwatch.GetTimestamp();
        try
        {
            reply = await _transport.ReadReplyAsync(command, enhancedCodes ?? Extensions.EnhancedStatusCodes, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException e) when (_firstReadAfterHandshake && TlsHandshakeFailure.TryGetRemoteAlert(e.InnerException, out var alert) && alert != 0)
        {
            // The server rejected the session right after the handshake we counted as a success (e.g. a
            // TLS 1.3 server refusing our client certificate): count it as a failure instead.
            AddTlsResult(-1, 1, Details(ResultType.ValidationFailure, "tls-remote-" + TlsAlert.Format(alert)));
            _pendingTlsHandshake = (TlsOutcome.Failed, ResultType.ValidationFailure);
            ReadFailed(command, started, e);
            throw;
        }
        catch (Exception e)
        {
            ReadFailed(command, started, e);
            throw;
        }
        CountPendingTlsHandshake();
        _metrics.RecordCommand(command, started, reply.Code, null);
        _firstReadAfterHandshake = false;
        Log.CommandResult(_logger, command, reply.Code, reply.EnhancedStatusCode);
        return reply;
    }

    private void ReadFailed(SmtpCommand command, long started, Exception e)
    {
        CountPendingTlsHandshake();
        _metrics.RecordCommand(command, started, 0, SmtpActivitySource.ErrorType(e));
        SmtpActivitySource.RecordException(_activity, e);
    }

    /// <summary>
    /// Counts the last TLS handshake once its fate is known: at the first reply after it (a server may
    /// still reject the session with an alert), or when the session ends before one.
    /// </summary>
    private void CountPendingTlsHandshake()
    {
        if (_pendingTlsHandshake is { } h)
        {
            _pendingTlsHandshake = null;
            _metrics.CountTlsHandshake(h.Outcome, h.ResultType);
        }
    }

    private ValueTask FlushAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        if (_transport.BufferedBytes > 0)
        {
            // RFC 2920 3.1: one reply per command. Data that arrived while no command was outstanding
            // means the replies are out of step (or injected): the session cannot be trusted.
            throw _transport.Break(SmtpErrorReason.Protocol, command,
                $"server sent {_transport.BufferedBytes} bytes no command asked for", string.Empty, null);
        }
        return _transport.FlushAsync(command, _timeouts.DataBlock, cancellationToken);
    }

    // ---- TLSRPT ----

    private FailureDetails Details(string resultType, string reasonCode) => new()
    {
        ResultType = resultType,
        FailureReasonCode = reasonCode,
        SendingMtaIp = _localIp,
        ReceivingIp = _remoteIp,
        ReceivingMxHostname = _remoteHostname.Ascii,
        ReceivingMxHelo = RemoteGreeting.Length > 0 ? RemoteGreeting : null,
        FailedSessionCount = 1,
    };

    private void AddTlsResult(long success, long failure, FailureDetails? details = null)
    {
        if (details is null)
        {
            _recipientDomainResult.Add(success, failure);
            _hostResult.Add(success, failure);
        }
        else
        {
            _recipientDomainResult.Add(success, failure, details);
            _hostResult.Add(success, failure, details);
        }
    }

    // ---- state ----

    private void EnterOperation()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("another operation is in progress on this smtp client; a client runs one operation at a time");
        }
    }

    private void ExitOperation()
    {
        ReleaseIfClosed();
        Volatile.Write(ref _busy, 0);
    }

    private void ThrowIfUnusable()
    {
        if (_closed)
        {
            throw new SmtpException(SmtpErrorReason.Closed, false, SmtpCommand.None, "smtp client is closed");
        }
        if (_transport.Broken)
        {
            throw new SmtpException(SmtpErrorReason.Broken, false, SmtpCommand.None, "smtp connection is broken by an earlier error");
        }
    }
}
