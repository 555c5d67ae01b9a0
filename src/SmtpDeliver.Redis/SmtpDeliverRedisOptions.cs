using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SmtpDeliver.Redis;

/// <summary>
/// Settings shared by <see cref="RedisMtaStsCache"/> and <see cref="RedisTlsRptResultStore"/>: the Redis
/// connection (owned by the caller), where the keys live, how long they are kept and how much a hostile or
/// corrupted database can make a worker read. See docs/redis.md.
/// </summary>
public sealed record SmtpDeliverRedisOptions
{
    /// <summary>
    /// The connection, created and disposed by the caller (one per process is the StackExchange.Redis advice).
    /// Create it with <c>abortConnect=false</c> so that a Redis that is down at start does not stop the worker:
    /// every operation then behaves as documented for "Redis down". Its <c>syncTimeout</c> bounds how long an
    /// MTA-STS cache read or write may block a delivery (the cache interface is synchronous).
    /// </summary>
    public required IConnectionMultiplexer Connection { get; init; }

    /// <summary>The database number; -1 (the default) is the connection's default database.</summary>
    public int Database { get; init; } = -1;

    /// <summary>
    /// Put before every key, "smtpdeliver:" by default; give each fleet (or each test) its own so that they
    /// never see each other's state.
    /// </summary>
    public string KeyPrefix { get; init; } = "smtpdeliver:";

    /// <summary>
    /// How long the TLSRPT counters of a UTC day are kept after the day ends: 3 days by default, enough for the
    /// daily report (sent for yesterday) to be retried twice. Keys of days nobody reported expire by themselves.
    /// </summary>
    public TimeSpan TlsRptRetention { get; init; } = TimeSpan.FromDays(3);

    /// <summary>Most policy domains counted per day, over all workers (as <c>InMemoryTlsRptResultStore</c>).</summary>
    public int MaxTlsRptPolicyDomainsPerDay { get; init; } = 100_000;

    /// <summary>Most counters of one (day, policy domain), over all workers (as <c>InMemoryTlsRptResultStore</c>).</summary>
    public int MaxTlsRptCountersPerDomain { get; init; } = 1_000;

    /// <summary>
    /// An HMAC-SHA256 key that signs the cached MTA-STS policies. Without it (empty, the default) whoever can
    /// write to the Redis database can plant a valid-looking weaker policy; with it, a policy not signed with
    /// this key is a cache miss. Every worker of a fleet needs the same key; keep it out of Redis.
    /// </summary>
    public ReadOnlyMemory<byte> PolicySigningKey { get; init; }

    /// <summary>
    /// Most policies each worker keeps in process besides Redis (10,000 by default): the copy that still
    /// applies when Redis is down or has lost the key (RFC 8461 5.1). Zero keeps none.
    /// </summary>
    public int MaxLocalMtaStsPolicies { get; init; } = 10_000;

    /// <summary>Receives warnings about Redis failures and corrupted values; none when <c>null</c>.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>The clock for policy expiry and the TLSRPT days' expiry; <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal IDatabase GetDatabase() => Connection.GetDatabase(Database);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Connection);
        ArgumentNullException.ThrowIfNull(KeyPrefix);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TlsRptRetention, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTlsRptPolicyDomainsPerDay);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTlsRptCountersPerDomain);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxLocalMtaStsPolicies);
    }
}
