using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SmtpDeliver.Dns;
using SmtpDeliver.Smtp;
using SmtpDeliver.Tls;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver;

/// <summary>
/// One SMTP session on one connection (RFC 5321): greeting, EHLO (HELO fallback), STARTTLS or implicit
/// TLS with our own PKIX verification, AUTH, then any number of pipelined deliveries. A client is not
/// thread-safe: one operation at a time. After an I/O or protocol error it is "broken" and refuses
/// further use; dispose it.
/// </summary>
public sealed partial class Client : IAsyncDisposable
{
    private readonly SmtpTransport _transport;
    private readonly ILogger _logger;
    private readonly ClientOptions _options;
    private readonly SmtpTimeouts _timeouts;
    private readonly Domain _remoteHostname;
    private readonly bool _verifyPkix;
    private readonly string _localIp;
    private readonly string _remoteIp;
    private readonly Result _recipientDomainResult;
    private readonly Result _hostResult;
    private bool _closed;
    private bool _needRset;
    private bool _firstReadAfterHandshake;
    private int _busy;
    private int _aborted;
    private int _released;

    private Client(Stream stream, bool verifyPkix, Domain remoteHostname, ClientOptions options, IPEndPoint? local, IPEndPoint? remote)
    {
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _timeouts = options.Timeouts;
        _remoteHostname = remoteHostname;
        _verifyPkix = verifyPkix;
        _localIp = AddressText(local);
        _remoteIp = AddressText(remote);
        _recipientDomainResult = options.RecipientDomainResult ?? new Result(PolicyType.NoPolicyFound, remoteHostname.Ascii);
        _hostResult = options.HostResult ?? new Result(PolicyType.NoPolicyFound, remoteHostname.Ascii);
        _transport = new SmtpTransport(stream, options.Limits, _logger, options.TraceSensitive);
        _transport.SetSessionDeadline(options.SessionTimeout);
    }

    // A dual-mode socket reports IPv4 peers as ::ffff:a.b.c.d; TLSRPT wants the IPv4 form.
    private static string AddressText(IPEndPoint? endPoint) => endPoint?.Address switch
    {
        null => string.Empty,
        { IsIPv4MappedToIPv6: true } a => a.MapToIPv4().ToString(),
        var a => a.ToString(),
    };

    /// <summary>
    /// Starts an SMTP session on a connected socket: reads the greeting, says EHLO, does TLS as
    /// <paramref name="tlsMode"/> says, and authenticates if <see cref="ClientOptions.Auth"/> is set.
    /// The client owns the socket from here on; on failure it is closed. Nagle's algorithm is turned
    /// off, as every command group is written in one write.
    /// </summary>
    /// <param name="socket">A connected TCP socket.</param>
    /// <param name="tlsMode">How to do TLS.</param>
    /// <param name="verifyPkix">Fail the connection when the server certificate does not pass PKIX verification for <paramref name="remoteHostname"/>. It is evaluated and recorded either way.</param>
    /// <param name="ehloHostname">Our host name for EHLO/HELO, sent in ASCII form.</param>
    /// <param name="remoteHostname">The server's host name: TLS server name (SNI) and the name verified; empty for none.</param>
    /// <param name="options">Further options; <c>null</c> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the setup; the connection is closed.</param>
    /// <exception cref="SmtpException">The server refused, the connection failed, or TLS failed.</exception>
    public static Task<Client> NewAsync(Socket socket, TlsMode tlsMode, bool verifyPkix, Domain ehloHostname, Domain remoteHostname, ClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.NoDelay = true;
        options ??= ClientOptions.Default;
        options = options with
        {
            LocalEndPoint = options.LocalEndPoint ?? socket.LocalEndPoint as IPEndPoint,
            RemoteEndPoint = options.RemoteEndPoint ?? socket.RemoteEndPoint as IPEndPoint,
        };
        return NewAsync(new NetworkStream(socket, ownsSocket: true), tlsMode, verifyPkix, ehloHostname, remoteHostname, options, cancellationToken);
    }

    /// <summary>
    /// Starts an SMTP session on a connected stream, as
    /// <see cref="NewAsync(Socket, TlsMode, bool, Domain, Domain, ClientOptions?, CancellationToken)"/>.
    /// The client owns the stream from here on; on failure it is disposed.
    /// </summary>
    /// <exception cref="SmtpException">The server refused, the connection failed, or TLS failed.</exception>
    public static async Task<Client> NewAsync(Stream stream, TlsMode tlsMode, bool verifyPkix, Domain ehloHostname, Domain remoteHostname, ClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ClientOptions.Default;
        if (ehloHostname.IsEmpty)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new ArgumentException("an ehlo host name is needed", nameof(ehloHostname));
        }
        var client = new Client(stream, verifyPkix, remoteHostname, options, options.LocalEndPoint, options.RemoteEndPoint);
        try
        {
            if (tlsMode == TlsMode.Implicit)
            {
                await client.HandshakeAsync(SmtpCommand.Greeting, cancellationToken).ConfigureAwait(false);
            }
            await client.HelloAsync(tlsMode, ehloHostname, cancellationToken).ConfigureAwait(false);
            if (options.Auth is not null)
            {
                await client.AuthenticateAsync(options.Auth, cancellationToken).ConfigureAwait(false);
            }
            return client;
        }
        catch (Exception e)
        {
            await client.QuitAfterFailedSetupAsync(e).ConfigureAwait(false);
            throw;
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

    private static SmtpException Status(Reply reply, SmtpCommand command, string expected, bool permanent) =>
        new(SmtpErrorReason.Status, permanent, command, $"server sent unexpected reply to {command}: got {reply.Code}, expected {expected}",
            reply.ToResponse(command, permanent, SmtpErrorReason.Status));

    private static SmtpException Status(Reply reply, SmtpCommand command, string expected) =>
        Status(reply, command, expected, reply.Class == 5);

    /// <summary>Reads a reply; enhanced codes parsed when announced, or when <paramref name="enhancedCodes"/> forces it.</summary>
    private async ValueTask<Reply> ReadAsync(SmtpCommand command, TimeSpan timeout, CancellationToken cancellationToken, bool? enhancedCodes = null)
    {
        Reply reply;
        try
        {
            reply = await _transport.ReadReplyAsync(command, enhancedCodes ?? Extensions.EnhancedStatusCodes, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException e) when (_firstReadAfterHandshake && TlsHandshakeFailure.TryGetRemoteAlert(e.InnerException, out var alert) && alert != 0)
        {
            // The server rejected the session right after the handshake we counted as a success (e.g. a
            // TLS 1.3 server refusing our client certificate): count it as a failure instead.
            AddTlsResult(-1, 1, Details(ResultType.ValidationFailure, "tls-remote-" + TlsAlert.Format(alert)));
            throw;
        }
        _firstReadAfterHandshake = false;
        Diagnostics.Log.CommandResult(_logger, command, reply.Code, reply.EnhancedStatusCode);
        return reply;
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
