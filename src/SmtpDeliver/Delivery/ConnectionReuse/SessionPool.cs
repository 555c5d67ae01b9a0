using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SmtpDeliver.Delivery;

/// <summary>
/// The deliverer's idle sessions, keyed by <see cref="SessionKey"/>, and its per-destination concurrency
/// limit (docs/connection-reuse.md). Thread-safe. Idle sessions past <see cref="ConnectionReuseOptions.IdleTimeout"/>
/// or <see cref="ConnectionReuseOptions.MaxAge"/> are closed with QUIT, by a timer on the deliverer's clock
/// and whenever the pool is looked into.
/// </summary>
internal sealed class SessionPool : IAsyncDisposable
{
    /// <summary>Destinations whose last attempt is remembered for the demand signal.</summary>
    private const int MaxRemembered = 4096;

    private readonly ConnectionReuseOptions _options;
    private readonly TimeProvider _time;
    private readonly int _concurrencyLimit;
    private readonly SmtpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    // Oldest first; taken from the newest end, so that few sessions stay warm.
    private readonly LinkedList<PooledSession> _idle = new();
    private readonly Dictionary<DestinationKey, DestinationSlot> _slots = [];
    private readonly HashSet<Task> _closing = [];
    // When the last attempt to each destination ended, and which delivery made it: the demand signal.
    private readonly Dictionary<DestinationKey, (long Ended, long Run)> _lastEnded = [];
    private ITimer? _sweep;
    private bool _disposed;

    public SessionPool(ConnectionReuseOptions options, int concurrencyLimit, TimeProvider time, SmtpMetrics metrics, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrencyLimit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxIdleSessions);
        _options = options;
        _concurrencyLimit = concurrencyLimit;
        _time = time;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
    }

    private bool ReuseEnabled => _options.Enabled && _options.IdleTimeout > TimeSpan.Zero && _options.MaxAge > TimeSpan.Zero && _options.MaxIdleSessions > 0;

    /// <summary>Idle sessions now; for tests.</summary>
    internal int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>
    /// Waits for one of the destination's <c>concurrencyLimit</c> places; dispose the result to give it back.
    /// </summary>
    /// <param name="destination">The destination.</param>
    /// <param name="run">Which delivery call enters: demand is shown by others only.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async ValueTask<PoolPlace> EnterAsync(DestinationKey destination, long run, CancellationToken cancellationToken)
    {
        DestinationSlot slot;
        bool demand;
        lock (_lock)
        {
            if (!_slots.TryGetValue(destination, out slot!))
            {
                _slots[destination] = slot = new DestinationSlot(_concurrencyLimit);
            }
            slot.Users++;
            // Postfix's smtp_connection_cache_on_demand: another delivery to this destination is under way,
            // or ended within the idle time.
            demand = slot.Users > 1
                || (_lastEnded.TryGetValue(destination, out var last) && last.Run != run && _time.GetElapsedTime(last.Ended) < _options.IdleTimeout);
        }
        try
        {
            await slot.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(destination, slot, run, entered: false);
            throw;
        }
        return new PoolPlace(destination, slot, run, demand, (d, s, r) => Leave(d, s, r, entered: true));
    }

    /// <summary>Whether a session at <paramref name="place"/> should be kept: demand shown, or on-demand off.</summary>
    private bool Wanted(PoolPlace place, bool moreToCome)
    {
        if (!_options.OnDemand || moreToCome || place.Demand)
        {
            return true;
        }
        lock (_lock)
        {
            return place.Slot.Users > 1;
        }
    }

    private void Leave(DestinationKey destination, DestinationSlot slot, long run, bool entered)
    {
        if (entered)
        {
            slot.Semaphore.Release();
        }
        lock (_lock)
        {
            if (entered)
            {
                if (_lastEnded.Count >= MaxRemembered)
                {
                    foreach (var (k, v) in _lastEnded)
                    {
                        if (_time.GetElapsedTime(v.Ended) >= _options.IdleTimeout)
                        {
                            _lastEnded.Remove(k);
                        }
                    }
                    if (_lastEnded.Count >= MaxRemembered)
                    {
                        // Only a hint is lost.
                        _lastEnded.Clear();
                    }
                }
                _lastEnded[destination] = (_time.GetTimestamp(), run);
            }
            if (--slot.Users == 0)
            {
                // Nobody waits or holds a place: forget the destination, so the table stays bounded.
                _slots.Remove(destination);
                slot.Semaphore.Dispose();
            }
        }
    }

    /// <summary>An idle session for <paramref name="key"/> within every limit, or <c>null</c> (a miss).</summary>
    public PooledSession? TryTake(SessionKey key)
    {
        if (!ReuseEnabled)
        {
            return null;
        }
        PooledSession? found = null;
        List<PooledSession>? expired = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return null;
            }
            for (var node = _idle.Last; node is not null;)
            {
                var previous = node.Previous;
                var s = node.Value;
                if (ExpiryReason(s) is not null)
                {
                    _idle.Remove(node);
                    (expired ??= []).Add(s);
                }
                else if (found is null && s.Key == key)
                {
                    _idle.Remove(node);
                    if (s.Session.IdleConnectionShowsActivity())
                    {
                        // Closed or spoken to by the server while idle: never handed out.
                        (expired ??= []).Add(s);
                        _metrics.CountSessionPoolLookup(SessionPoolResult.Stale);
                    }
                    else
                    {
                        found = s;
                    }
                }
                node = previous;
            }
        }
        if (expired is not null)
        {
            foreach (var s in expired)
            {
                CloseInBackground(s, ExpiryReason(s) ?? "closed or spoken to by the server while idle");
            }
        }
        if (found is null)
        {
            _metrics.CountSessionPoolLookup(SessionPoolResult.Miss);
            return null;
        }
        found.Uses++;
        _metrics.CountSessionPoolLookup(SessionPoolResult.Hit);
        DeliveryLog.SessionReused(_logger, found.Key.Destination, found.Uses, found.Transactions);
        return found;
    }

    /// <summary>Counts a reused session that turned out closed by the server before any data was sent.</summary>
    public void CountStale(PooledSession session, string error)
    {
        _metrics.CountSessionPoolLookup(SessionPoolResult.Stale);
        DeliveryLog.StaleSessionRetried(_logger, session.Key.Destination, error);
    }

    /// <summary>
    /// Gives a session back after a delivery attempt: kept idle when <paramref name="keep"/>, there is
    /// demand for it (<see cref="ConnectionReuseOptions.OnDemand"/>; <paramref name="moreToCome"/> from a
    /// batch) and every limit allows; else closed (with QUIT unless the connection is broken).
    /// </summary>
    public async ValueTask ReturnAsync(PooledSession session, bool keep, PoolPlace place, bool moreToCome)
    {
        var reason = !keep ? "not reusable" : WhyNotReusable(session) ?? (Wanted(place, moreToCome) ? null : "no demand");
        PooledSession? evicted = null;
        if (reason is null)
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    reason = "deliverer disposed";
                }
                else
                {
                    // The attempt's deadline ended with it; the next attempt sets its own.
                    session.Session.SetSessionDeadline(null);
                    session.IdleSince = _time.GetTimestamp();
                    _idle.AddLast(session);
                    if (_idle.Count > _options.MaxIdleSessions)
                    {
                        evicted = _idle.First!.Value;
                        _idle.RemoveFirst();
                    }
                    _sweep ??= _time.CreateTimer(static p => ((SessionPool)p!).Sweep(), this, _options.IdleTimeout, _options.IdleTimeout);
                }
            }
        }
        if (evicted is not null)
        {
            CloseInBackground(evicted, "too many idle sessions");
        }
        if (reason is not null)
        {
            await CloseAsync(session, reason).ConfigureAwait(false);
        }
    }

    /// <summary>Why a session that finished an attempt must not be kept; <c>null</c> when it may.</summary>
    private string? WhyNotReusable(PooledSession s)
    {
        if (!ReuseEnabled)
        {
            return "reuse disabled";
        }
        if (!s.Reusable || s.Session.IsBroken)
        {
            return "not reusable";
        }
        // RFC 9422 4.1: no more transactions than MAILMAX on one connection.
        if (s.Session.Extensions.Limits is { MailMax: > 0 } limits && s.Transactions >= limits.MailMax)
        {
            return "mailmax reached";
        }
        if (_options.MaxUses is { } maxUses && s.Uses >= maxUses)
        {
            return "reuse count limit";
        }
        return _time.GetElapsedTime(s.Opened) >= _options.MaxAge ? "reuse time limit" : null;
    }

    /// <summary>Why an idle session must be closed now; <c>null</c> while it may stay.</summary>
    private string? ExpiryReason(PooledSession s) =>
        _time.GetElapsedTime(s.IdleSince) >= _options.IdleTimeout ? "idle time limit"
        : _time.GetElapsedTime(s.Opened) >= _options.MaxAge ? "reuse time limit"
        : s.Session.IsBroken ? "broken"
        : null;

    private void Sweep()
    {
        List<PooledSession>? expired = null;
        lock (_lock)
        {
            for (var node = _idle.First; node is not null;)
            {
                var next = node.Next;
                if (ExpiryReason(node.Value) is not null)
                {
                    (expired ??= []).Add(node.Value);
                    _idle.Remove(node);
                }
                node = next;
            }
            if (_idle.Count == 0)
            {
                _sweep?.Dispose();
                _sweep = null;
            }
        }
        if (expired is not null)
        {
            foreach (var s in expired)
            {
                CloseInBackground(s, ExpiryReason(s) ?? "closed or spoken to by the server while idle");
            }
        }
    }

    private void CloseInBackground(PooledSession session, string reason)
    {
        var task = CloseAsync(session, reason).AsTask();
        lock (_lock)
        {
            _closing.Add(task);
        }
        _ = task.ContinueWith(
            static (t, p) =>
            {
                var pool = (SessionPool)p!;
                lock (pool._lock)
                {
                    pool._closing.Remove(t);
                }
            },
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Closes a session: QUIT unless broken (RFC 5321 4.1.1.10), then the socket. Never throws.</summary>
    private async ValueTask CloseAsync(PooledSession session, string reason)
    {
        DeliveryLog.SessionClosed(_logger, session.Key.Destination, reason, session.Uses, session.Transactions);
        await session.Session.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes every idle session with QUIT and waits for closes under way; later returns close at once.</summary>
    public async ValueTask DisposeAsync()
    {
        List<PooledSession> idle;
        Task[] closing;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
            _sweep?.Dispose();
            _sweep = null;
        }
        var closes = idle.Select(s => CloseAsync(s, "deliverer disposed").AsTask()).ToList();
        await Task.WhenAll(closes).ConfigureAwait(false);
        lock (_lock)
        {
            closing = [.. _closing];
        }
        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    /// <summary>A destination's concurrency places and how many deliveries hold or wait for one.</summary>
    internal sealed class DestinationSlot(int limit)
    {
        public SemaphoreSlim Semaphore { get; } = new(limit, limit);

        public int Users { get; set; }
    }
}
