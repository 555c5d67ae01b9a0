using System.Net.Sockets;
using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;
using SmtpDeliver;

namespace SmtpDeliver.Delivery;

/// <summary>
/// Delivers a message to the recipients of one domain, as mox's queue does with smtpclient: MX hosts in
/// preference order (shuffled within a preference), addresses per host, the TLS each host's policy
/// demands (DANE per RFC 7672, MTA-STS per RFC 8461, REQUIRETLS per RFC 8689; see
/// <see cref="HostSecurityPolicy"/>), fallback to the next address or host only while no definite answer
/// was given, LIMITS (RFC 9422) honoured, recipients refused with 452 retried in a further transaction.
/// One call is one delivery attempt; the outcome says, per recipient, whether to retry. Thread-safe: one
/// deliverer serves concurrent deliveries, each with its own state. Sessions are kept idle for later
/// messages to the same MX address and security (<see cref="DeliveryOptions.ConnectionReuse"/>,
/// docs/connection-reuse.md); dispose the deliverer to close them with QUIT.
/// </summary>
public sealed class Deliverer : IAsyncDisposable
{
    private readonly DeliveryOptions _options;
    private readonly MtaStsPolicySource? _mtaSts;
    private readonly TimeProvider _time;
    private readonly Dialer _dialer;
    private readonly SessionPool _pool;
    private int _disposed;

    /// <summary>A deliverer with the given options.</summary>
    public Deliverer(DeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = options.TimeProvider;
        _dialer = options.Dialer.On(_time);
        _mtaSts = !options.UseMtaSts ? null
            : options.MtaSts ?? new MtaStsPolicySource(options.Resolver) { RootCertificates = options.RootCertificates, TimeProvider = _time };
        _pool = new SessionPool(options.ConnectionReuse ?? ConnectionReuseOptions.Default, options.DestinationConcurrencyLimit, _time, SmtpMetrics.For(options.MeterFactory), options.Logger);
    }

    /// <summary>Idle sessions kept now; for tests.</summary>
    internal int IdleSessionCount => _pool.IdleCount;

    /// <summary>Closes every idle session with QUIT (RFC 5321 4.1.1.10); sessions in use are closed when their attempt ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _pool.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Delivers each of <paramref name="requests"/> once, in order, as
    /// <see cref="DeliverAsync(DeliveryRequest, CancellationToken)"/> does; messages to the same MX host share
    /// its sessions (docs/connection-reuse.md). Every request is checked before anything is sent.
    /// </summary>
    /// <returns>One outcome per request, in request order.</returns>
    /// <exception cref="ArgumentException">A request is invalid (as for the single-message call); nothing was sent.</exception>
    /// <exception cref="ObjectDisposedException">The deliverer was disposed.</exception>
    public async Task<IReadOnlyList<DeliveryOutcome>> DeliverBatchAsync(IReadOnlyList<DeliveryRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        foreach (var request in requests)
        {
            Check(request);
        }
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var outcomes = new DeliveryOutcome[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            // Cancellation, or disposal once the batch started, ends each remaining attempt at once with a
            // transient outcome, never an exception that would hide what was delivered.
            outcomes[i] = await DeliverOneAsync(requests[i], i < requests.Count - 1, cancellationToken, inBatch: true).ConfigureAwait(false);
        }
        return outcomes;
    }

    private static IPDomain Check(DeliveryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.MailFrom);
        var nextHop = NextHopOf(request);
        if (request.Dsn?.Recipients is { } dsnRecipients && dsnRecipients.Count != request.Recipients.Count)
        {
            // Checked before any connection: one DSN entry per recipient, in order (RFC 3461 4.1).
            throw new ArgumentException("the dsn request needs one entry per recipient", nameof(request));
        }
        return nextHop;
    }

    private enum HostOutcome
    {
        Done,
        Permanent,
        Transient,
    }

    /// <summary>Delivers <paramref name="request"/> once.</summary>
    /// <exception cref="ArgumentException">No recipients, the null reverse-path as a recipient, or recipients in more than one domain.</exception>
    /// <exception cref="ObjectDisposedException">The deliverer was disposed.</exception>
    /// <remarks>
    /// Cancellation (or <see cref="DeliveryOptions.DeliveryTimeout"/>) ends the attempt early but still
    /// returns the outcome: what was delivered stays delivered, a message sent without a verdict is
    /// <see cref="RecipientStatus.Uncertain"/>, the rest is transient.
    /// </remarks>
    public Task<DeliveryOutcome> DeliverAsync(DeliveryRequest request, CancellationToken cancellationToken = default) =>
        DeliverOneAsync(request, false, cancellationToken);

    private async Task<DeliveryOutcome> DeliverOneAsync(DeliveryRequest request, bool moreToCome, CancellationToken cancellationToken, bool inBatch = false)
    {
        var nextHop = Check(request);
        var disposed = Volatile.Read(ref _disposed) != 0;
        ObjectDisposedException.ThrowIf(disposed && !inBatch, this);
        using var deadline = TimeoutSource.Start(_time, _options.DeliveryTimeout ?? Timeout.InfiniteTimeSpan, cancellationToken);
        var run = new DeliveryRun(request, nextHop, _time.GetTimestamp(), moreToCome);
        using var activity = SmtpActivitySource.StartDeliveryAttempt(nextHop.ToString(), _options.Port);
        try
        {
            if (disposed)
            {
                run.LastError = "deliverer disposed";
            }
            else
            {
                await RunAsync(run, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // The outcome so far is returned, not lost in an exception: recipients already delivered (or
            // uncertain) must never be sent again by a queue that saw only the cancellation.
            run.LastError = cancellationToken.IsCancellationRequested ? "delivery cancelled" : "delivery deadline passed";
        }
        catch (Exception e)
        {
            SmtpActivitySource.RecordException(activity, e);
            throw;
        }
        run.State.FailPending(RecipientStatus.Transient, null, run.LastError);
        if (_options.Logger is { } logger)
        {
            foreach (var a in run.Attempts)
            {
                DeliveryLog.DeliveryAttempt(logger, a.Host, a.Address, a.TlsStatus, a.VerifiedDaneRecord, run.MtaStsPolicyId, a.Error);
            }
        }
        var outcome = new DeliveryOutcome(run.State.Outcomes(), run.Attempts, run.DomainResult, run.HostResults) { MtaStsPolicyId = run.MtaStsPolicyId };
        DeliveryTelemetry.CountRecipients(SmtpMetrics.For(_options.MeterFactory), outcome.Recipients);
        DeliveryTelemetry.Finish(activity, outcome, run.LastError);
        return outcome;
    }

    private static IPDomain NextHopOf(DeliveryRequest request)
    {
        if (request.Recipients is null || request.Recipients.Count == 0)
        {
            throw new ArgumentException("need at least one recipient", nameof(request));
        }
        IPDomain? nextHop = null;
        foreach (var r in request.Recipients)
        {
            if (r is null || r.IsNullReversePath)
            {
                throw new ArgumentException("a recipient is null or the null reverse-path", nameof(request));
            }
            IPDomain hop;
            try
            {
                hop = r.NextHop;
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException(e.Message, nameof(request), e);
            }
            if (nextHop is { } other && other != hop)
            {
                throw new ArgumentException("all recipients must be in one domain", nameof(request));
            }
            nextHop = hop;
        }
        return nextHop!.Value;
    }

    /// <summary>Everything one call keeps: nothing of it is shared with other calls.</summary>
    private sealed class DeliveryRun(DeliveryRequest request, IPDomain nextHop, long started, bool moreToCome)
    {
        private static long s_lastId;

        /// <summary>Tells this call from others for the session pool's demand signal.</summary>
        public long Id { get; } = Interlocked.Increment(ref s_lastId);

        /// <summary>More messages of the same batch follow: keep the session.</summary>
        public bool MoreToCome { get; } = moreToCome;

        public DeliveryRequest Request { get; } = request;
        public IPDomain NextHop { get; } = nextHop;
        public long Started { get; } = started;
        public DeliveryState State { get; } = new(request);
        public DialHistory History { get; } = request.DialHistory ?? new DialHistory();
        public List<DeliveryAttempt> Attempts { get; } = [];
        public List<TlsRptResult> HostResults { get; } = [];
        public TlsRptResult DomainResult { get; set; } = new(PolicyType.NoPolicyFound, nextHop.ToString());
        public MtaStsPolicy? Sts { get; set; }
        public string? MtaStsPolicyId { get; set; }
        public bool MxAuthentic { get; set; }
        public string LastError { get; set; } = "no mx host could be reached";
    }

    private async Task RunAsync(DeliveryRun run, CancellationToken cancellationToken)
    {
        if (_mtaSts is not null && run.NextHop.IP is null)
        {
            var domain = run.NextHop.Domain;
            var lookup = await _mtaSts.GetAsync(domain, cancellationToken).ConfigureAwait(false);
            run.MtaStsPolicyId = lookup.Policy is null ? null : lookup.Id;
            if (lookup.Policy is { Mode: not MtaStsMode.None } policy)
            {
                run.Sts = policy;
                run.DomainResult = new TlsRptResult(new TlsRptResultPolicy { Type = PolicyType.Sts, Domain = domain.Ascii, Strings = policy.Lines, MxHost = policy.MxPatterns });
            }
            if (lookup.Failure is { } failure)
            {
                run.DomainResult.Add(0, 0, failure);
            }
        }

        Destinations destinations;
        try
        {
            destinations = await Gather.DestinationsAsync(_options.Resolver, run.NextHop, cancellationToken, _options.Random).ConfigureAwait(false);
        }
        catch (GatherException e)
        {
            run.State.FailPending(e.Permanent ? RecipientStatus.Permanent : RecipientStatus.Transient, null, e.Message);
            return;
        }
        run.MxAuthentic = destinations.HaveMx && destinations.ExpandedNextHopAuthentic;

        // RFC 5321 5.1: hosts of equal preference come shuffled from gathering.
        foreach (var hostPref in destinations.Hosts)
        {
            if (run.State.PendingCount == 0)
            {
                break;
            }
            var host = hostPref.Host;
            var (plan, error) = await PlanAsync(run, host, destinations, cancellationToken).ConfigureAwait(false);
            if (plan is null)
            {
                run.Attempts.Add(new DeliveryAttempt(host.Domain, host.IP, TlsStatus.None, null, error));
                run.LastError = error;
                continue;
            }
            run.HostResults.Add(plan.HostResult);
            var outcome = HostOutcome.Transient;
            foreach (var address in plan.Addresses)
            {
                (outcome, error) = await DeliverToAddressAsync(run, plan, host, address, cancellationToken).ConfigureAwait(false);
                if (outcome != HostOutcome.Transient || run.State.PendingCount == 0)
                {
                    break;
                }
                run.LastError = error;
            }
            if (outcome == HostOutcome.Permanent)
            {
                break;
            }
        }
    }

    /// <summary>What the policies demand for one MX host, with the DNS facts it was decided on.</summary>
    private sealed record HostPlan(IReadOnlyList<IPAddress> Addresses, HostSecurityPlan Security, IReadOnlyList<TlsaRecord>? DaneRecords, IReadOnlyList<Domain> Names, TlsRptResult HostResult);

    private async Task<(HostPlan? Plan, string Error)> PlanAsync(DeliveryRun run, IPDomain host, Destinations destinations, CancellationToken cancellationToken)
    {
        var sts = run.Sts;
        HostAddresses ips;
        try
        {
            ips = await Gather.IPsAsync(_options.Resolver, AddressFamilyFilter.Any, host, run.History.Snapshot(), cancellationToken).ConfigureAwait(false);
        }
        catch (GatherException e)
        {
            return (null, e.Message);
        }
        var names = new List<Domain> { host.Domain };
        var hostResult = new TlsRptResult(PolicyType.NoPolicyFound, host.ToString());
        IReadOnlyList<TlsaRecord>? records = null;
        var dane = DaneApplicability.NotApplicable;
        string? lookupError = null;
        if (host.IP is null && destinations.ExpandedNextHopAuthentic && ips.Authentic)
        {
            try
            {
                var tlsa = await Gather.TlsaAsync(_options.Resolver, host.Domain, ips.ExpandedAuthentic, ips.ExpandedHost, cancellationToken).ConfigureAwait(false);
                if (tlsa.DaneRequired)
                {
                    var policy = new TlsRptResultPolicy { Type = PolicyType.Tlsa, Domain = tlsa.BaseDomain.Ascii, Strings = tlsa.AllRecords.Select(r => r.ToString()).ToList() };
                    names = Gather.TlsaNames(destinations, tlsa).ToList();
                    hostResult = new TlsRptResult(policy);
                    records = tlsa.Records;
                    dane = tlsa.Records.Count > 0 ? DaneApplicability.Usable : DaneApplicability.AllUnusable;
                    if (dane == DaneApplicability.AllUnusable)
                    {
                        hostResult.Add(0, 0, FailureDetails.Of(ResultType.TlsaInvalid, "all-unusable-records+ignored"));
                    }
                }
            }
            catch (GatherException e)
            {
                // A DNSSEC failure (bogus, SERVFAIL) on TLSA: DANE may apply and cannot be checked.
                dane = DaneApplicability.LookupFailed;
                lookupError = e.Message;
            }
        }
        var security = HostSecurityPolicy.Decide(Inputs(run, dane, sts, host));
        if (security.Skip)
        {
            return (null, lookupError is null ? $"mx host {host}: {security.SkipReason}" : $"mx host {host}: {security.SkipReason}: {lookupError}");
        }
        return (new HostPlan(ips.Addresses, security, security.UseDaneRecords ? records : null, names, hostResult), string.Empty);
    }

    private HostSecurityInputs Inputs(DeliveryRun run, DaneApplicability dane, MtaStsPolicy? sts, IPDomain host) => new(
        dane,
        sts?.Mode ?? MtaStsMode.None,
        sts is not null && host.IP is null && sts.Matches(host.Domain),
        run.Request.RequireTls,
        _options.RequireTlsPolicy,
        run.Request.TlsRequiredNo);

    private TimeSpan? TimeLeft(DeliveryRun run)
    {
        if (_options.DeliveryTimeout is not { } timeout)
        {
            return null;
        }
        var left = timeout - _time.GetElapsedTime(run.Started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task<(HostOutcome, string)> DeliverToAddressAsync(DeliveryRun run, HostPlan plan, IPDomain host, IPAddress address, CancellationToken cancellationToken)
    {
        var hostName = host.Domain;
        run.State.RemoteHost = hostName;
        var destination = new DestinationKey(host.ToString(), address, _options.Port);
        var key = SessionKey.For(destination, plan.Security, plan.DaneRecords, plan.Names);
        // After a reused session turned out closed by the server: one retry, on a new connection.
        var staleRetries = 0;
        var mustOpen = false;
        // MAILMAX (RFC 9422) can make us reconnect; each round is one connection.
        for (var round = 0; round < 100 && run.State.PendingCount > 0; round++)
        {
            using var place = await _pool.EnterAsync(destination, run.Id, cancellationToken).ConfigureAwait(false);
            var pooled = mustOpen ? null : _pool.TryTake(key);
            var reused = pooled is not null;
            mustOpen = false;
            if (pooled is null)
            {
                (pooled, var failure) = await OpenAsync(run, plan, host, address, key, cancellationToken).ConfigureAwait(false);
                if (pooled is null)
                {
                    return failure;
                }
            }
            else
            {
                pooled.Session.SetSessionDeadline(TimeLeft(run));
            }
            var client = pooled.Session;
            var keep = false;
            try
            {
                var (requirements, tlsStatus, refusal) = CheckRequireTls(client, run, host);
                if (refusal is not null)
                {
                    AddAttempt(run, plan, pooled, reused, new DeliveryAttempt(hostName, address, tlsStatus, client.VerifiedDaneRecord, refusal));
                    keep = true;
                    return (HostOutcome.Transient, refusal);
                }
                var (outcome, error, reconnect, stale) = await RunTransactionsAsync(pooled, reused && staleRetries == 0, run, requirements, cancellationToken).ConfigureAwait(false);
                if (stale)
                {
                    // Nothing was sent and nothing recorded: not an attempt (docs/connection-reuse.md).
                    _pool.CountStale(pooled, error);
                    staleRetries++;
                    mustOpen = true;
                    round--;
                    continue;
                }
                AddAttempt(run, plan, pooled, reused, new DeliveryAttempt(hostName, address, tlsStatus, client.VerifiedDaneRecord, error));
                keep = true;
                if (!reconnect)
                {
                    return (outcome, error);
                }
            }
            finally
            {
                // Kept idle when fit; dropped (QUIT unless broken) after an exception: a cancelled or
                // failed operation leaves the session in no known state.
                await _pool.ReturnAsync(pooled, keep, place, run.MoreToCome).ConfigureAwait(false);
            }
        }
        return (run.State.PendingCount == 0 ? HostOutcome.Done : HostOutcome.Transient, "recipients left after the connection limit");
    }

    /// <summary>
    /// Records one attempt; over a reused session also the TLSRPT result its STARTTLS produced (RFC 8460
    /// 4.3: one session count per attempt, as a new connection would give).
    /// </summary>
    private static void AddAttempt(DeliveryRun run, HostPlan plan, PooledSession session, bool reused, DeliveryAttempt attempt)
    {
        if (reused)
        {
            session.ReplayTlsResults(run.DomainResult, plan.HostResult);
        }
        run.Attempts.Add(attempt);
    }

    /// <summary>Dials and sets up a new session; on failure the attempt is recorded and the host outcome returned.</summary>
    private async Task<(PooledSession? Session, (HostOutcome, string) Failure)> OpenAsync(DeliveryRun run, HostPlan plan, IPDomain host, IPAddress address, SessionKey key, CancellationToken cancellationToken)
    {
        var hostName = host.Domain;
        var left = TimeLeft(run);
        DialedConnection connection;
        try
        {
            var dialDeadline = left is { } l ? _time.GetUtcNow() + l : (DateTimeOffset?)null;
            connection = await _dialer.DialAsync(host, [address], _options.Port, dialDeadline, run.History, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            run.Attempts.Add(new DeliveryAttempt(hostName, address, TlsStatus.None, null, $"connecting: {e.Message}"));
            return (null, (HostOutcome.Transient, $"connecting to {host} ({address}): {e.Message}"));
        }
        var security = plan.Security;
        // The session records its TLSRPT results here, and every attempt using it adds them to its own.
        var domainRecord = new TlsRptResult(PolicyType.NoPolicyFound, string.Empty);
        var hostRecord = new TlsRptResult(PolicyType.NoPolicyFound, string.Empty);
        var clientOptions = new SmtpSessionOptions
        {
            DaneRecords = plan.DaneRecords,
            DaneMoreHostnames = plan.Names.Skip(1).ToList(),
            IgnoreTlsVerifyErrors = security.IgnoreVerifyErrors,
            RootCertificates = _options.RootCertificates,
            RecipientDomainResult = domainRecord,
            HostResult = hostRecord,
            Timeouts = _options.Timeouts,
            Logger = _options.Logger,
            MeterFactory = _options.MeterFactory,
            SessionTimeout = TimeLeft(run),
            TimeProvider = _time,
        };
        SmtpClientSession client;
        try
        {
            client = await SmtpClientSession.ConnectAsync(connection.Socket, clientOptions with { TlsMode = security.TlsMode, EnforcePkix = security.EnforcePkix, EhloHostname = _options.EhloHostname, RemoteHostname = plan.Names[0] }, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException e)
        {
            Replay(run, plan, domainRecord, hostRecord);
            var status = e.Reason == SmtpErrorReason.Tls && run.Request.RequireTls ? TlsStatus.RequireTlsNoStartTls : e.Reason == SmtpErrorReason.Tls ? TlsStatus.TlsFailed : TlsStatus.None;
            run.Attempts.Add(new DeliveryAttempt(hostName, address, status, null, e.Message));
            // A 5xx before any message is sent bounces only when it can be believed: never a 5xx
            // greeting (another MX may take the mail, as Postfix's smtp_skip_5xx_greeting), never
            // when TLS was required and the refusal may come from an attacker before it (RFC 7672
            // 2.2, RFC 8461 4.2: such failures are deferred).
            if (e.Permanent && e.Reason == SmtpErrorReason.Status && e.Command != SmtpCommand.Greeting && security.TlsMode != TlsMode.RequiredStartTls)
            {
                run.State.FailPending(RecipientStatus.Permanent, e.Response, e.Message);
                return (null, (HostOutcome.Permanent, e.Message));
            }
            return (null, (HostOutcome.Transient, e.Message));
        }
        catch
        {
            Replay(run, plan, domainRecord, hostRecord);
            throw;
        }
        Replay(run, plan, domainRecord, hostRecord);
        return (new PooledSession(client, key, _time.GetTimestamp(), domainRecord, hostRecord), default);

        static void Replay(DeliveryRun run, HostPlan plan, TlsRptResult domainRecord, TlsRptResult hostRecord)
        {
            var summary = domainRecord.Summary;
            run.DomainResult.Add(summary.TotalSuccessfulSessionCount, summary.TotalFailureSessionCount, [.. domainRecord.FailureDetails]);
            summary = hostRecord.Summary;
            plan.HostResult.Add(summary.TotalSuccessfulSessionCount, summary.TotalFailureSessionCount, [.. hostRecord.FailureDetails]);
        }
    }

    // RFC 8689 4.2.1 and Postfix's smtp_requiretls_policy levels.
    private (DeliveryRequirements Requirements, TlsStatus TlsStatus, string? Refusal) CheckRequireTls(SmtpClientSession client, DeliveryRun run, IPDomain host)
    {
        var request = run.Request;
        var requirements = request.Requirements & ~DeliveryRequirements.RequireTls;
        if (!request.RequireTls || _options.RequireTlsPolicy == RequireTlsPolicy.Disable)
        {
            var status = client.Tls is null ? TlsStatus.None : client.VerifiedDaneRecord is not null ? TlsStatus.Dane : client.Pkix?.Verified == true ? TlsStatus.Verified : TlsStatus.Untrusted;
            return (requirements, status, null);
        }
        if (client.Tls is null)
        {
            return _options.RequireTlsPolicy == RequireTlsPolicy.Opportunistic
                ? (requirements, TlsStatus.RequireTlsNoStartTls, null)
                : (requirements, TlsStatus.RequireTlsNoStartTls, "requiretls: the server did not do starttls");
        }
        // RFC 8689 4.2.1: the certificate verified by DANE, or by PKIX for an MX host found securely
        // (DNSSEC-authentic MX records or a matching MTA-STS policy).
        var mxSecure = run.MxAuthentic || (run.Sts is { } sts && host.IP is null && sts.Matches(host.Domain));
        var verified = client.VerifiedDaneRecord is not null || (client.Pkix?.Verified == true && mxSecure);
        if (!verified)
        {
            return _options.RequireTlsPolicy == RequireTlsPolicy.Opportunistic
                ? (requirements, TlsStatus.RequireTlsNoCertMatch, null)
                : (requirements, TlsStatus.RequireTlsNoCertMatch, "requiretls: the server certificate was not verified by dane, or by pkix for an mx host found by dnssec or mta-sts");
        }
        if (!client.SupportsRequireTls)
        {
            return _options.RequireTlsPolicy == RequireTlsPolicy.Enforce
                ? (requirements, TlsStatus.RequireTlsNotAnnounced, "requiretls: the server does not announce the requiretls extension")
                : (requirements, TlsStatus.RequireTlsNotAnnounced, null);
        }
        return (requirements | DeliveryRequirements.RequireTls, TlsStatus.RequireTls, null);
    }

    /// <summary>
    /// Runs transactions until every recipient is done or the session cannot go on. <c>Stale</c> when
    /// <paramref name="mayBeStale"/> (a reused session) and its first transaction failed on a closed
    /// connection or a 421 before any data was sent: nothing was recorded, the caller retries on a new
    /// connection. <c>Reconnect</c> when MAILMAX (RFC 9422) was reached.
    /// </summary>
    private static async Task<(HostOutcome Outcome, string Error, bool Reconnect, bool Stale)> RunTransactionsAsync(PooledSession pooled, bool mayBeStale, DeliveryRun run, DeliveryRequirements requirements, CancellationToken cancellationToken)
    {
        var client = pooled.Session;
        var request = run.Request;
        var state = run.State;
        var limits = client.Extensions.Limits;
        var batchSize = limits is { RcptMax: > 0 } ? limits.RcptMax : int.MaxValue;
        var first = true;
        while (state.PendingCount > 0)
        {
            // RFC 9422 4.1: MAILMAX counts the transactions of the connection, over every message it carried.
            if (limits is { MailMax: > 0 } && pooled.Transactions >= limits.MailMax)
            {
                return (HostOutcome.Transient, string.Empty, true, false);
            }
            var batch = state.Pending(batchSize);
            pooled.Transactions++;
            var staleCandidate = mayBeStale && first;
            first = false;
            IReadOnlyList<SmtpResponse> responses;
            await using var message = request.OpenMessage();
            try
            {
                // RFC 3461: each transaction carries the DSN entries of its own recipients.
                var dsn = request.Dsn is { Recipients: { } dsnRecipients } d
                    ? d with { Recipients = batch.Select(i => dsnRecipients[i]).ToList() }
                    : request.Dsn;
                responses = await client.DeliverMultipleAsync(request.MailFrom, batch.Select(i => request.Recipients[i]).ToList(), request.Size, message, requirements, dsn, cancellationToken).ConfigureAwait(false);
            }
            catch (SmtpException e) when (staleCandidate && !e.MessageDataSent && (client.IsBroken || e.Response.Code == 421))
            {
                // A server may close a connection while it is idle (RFC 5321 4.5.3.2.7, or with a 421):
                // nothing of this message was sent, so a new connection is tried as if this never happened.
                pooled.Reusable = false;
                return (HostOutcome.Transient, e.Message, false, true);
            }
            catch (SmtpException e) when (e.MessageDataSent)
            {
                pooled.Reusable &= e.Response.Code != 421;
                SetAfterData(state, batch, e);
                if (client.IsBroken)
                {
                    return (HostOutcome.Transient, e.Message, false, false);
                }
                continue;
            }
            catch (SmtpException e) when (e.RecipientResponses.Count == batch.Count)
            {
                responses = e.RecipientResponses;
            }
            catch (SmtpException e) when (batch.Count == 1 && e.Command == SmtpCommand.RcptTo)
            {
                responses = [e.Response];
            }
            catch (SmtpException e)
            {
                // RFC 5321 3.8: after a 421 the server closes the connection; it is not kept.
                pooled.Reusable &= e.Response.Code != 421;
                if (e.Permanent)
                {
                    state.Fail(batch, RecipientStatus.Permanent, e.Response, e.Message);
                    if (client.IsBroken)
                    {
                        return (HostOutcome.Permanent, e.Message, false, false);
                    }
                    continue;
                }
                // Transient before the message was sent: another address, host or a later attempt.
                return (HostOutcome.Transient, e.Message, false, false);
            }
            if (responses.Any(r => r.Code == 421))
            {
                pooled.Reusable = false;
            }
            if (!SetRecipients(state, batch, responses))
            {
                break;
            }
        }
        return (state.PendingCount == 0 ? HostOutcome.Done : HostOutcome.Transient, string.Empty, false, false);
    }

    /// <summary>Records each recipient's RCPT reply; 452/552 on a later recipient leaves it pending. False when nothing changed.</summary>
    private static bool SetRecipients(DeliveryState state, List<int> batch, IReadOnlyList<SmtpResponse> responses)
    {
        var progress = false;
        for (var j = 0; j < batch.Count; j++)
        {
            var r = responses[j];
            if (r.IsSuccess)
            {
                state.Set(batch[j], RecipientStatus.Delivered, r, string.Empty);
                progress = true;
            }
            else if (r.Code is 452 or 552 && j > 0)
            {
                // RFC 5321 4.5.3.1.10: too many recipients; they go in the next transaction.
            }
            else
            {
                state.Set(batch[j], r.Permanent ? RecipientStatus.Permanent : RecipientStatus.Transient, r, r.Line);
                progress = true;
            }
        }
        return progress;
    }

    /// <summary>
    /// After the message data was sent: the server's verdict is definite (4xx transient, 5xx permanent) for
    /// every recipient it accepted, or uncertain without a reply. Either way these recipients are done for
    /// this attempt: the message is never sent again to another host (RFC 5321 6.1 / RFC 1047).
    /// </summary>
    private static void SetAfterData(DeliveryState state, List<int> batch, SmtpException e)
    {
        var status = e.DeliveryUncertain ? RecipientStatus.Uncertain : e.Permanent ? RecipientStatus.Permanent : RecipientStatus.Transient;
        var response = e.Response;
        for (var j = 0; j < batch.Count; j++)
        {
            var rcpt = j < e.RecipientResponses.Count ? e.RecipientResponses[j] : null;
            if (rcpt is { IsSuccess: false })
            {
                if (rcpt.Code is 452 or 552 && j > 0)
                {
                    continue;
                }
                state.Set(batch[j], rcpt.Permanent ? RecipientStatus.Permanent : RecipientStatus.Transient, rcpt, rcpt.Line);
                continue;
            }
            state.Set(batch[j], status, response, e.Message);
        }
    }
}
