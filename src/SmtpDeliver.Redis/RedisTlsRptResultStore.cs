using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SmtpDeliver.TlsRpt.Reporting;
using StackExchange.Redis;

namespace SmtpDeliver.Redis;

/// <summary>
/// An <see cref="ITlsRptResultStore"/> shared by every worker through Redis, for one
/// <see cref="TlsRptAggregator"/> per worker and one <see cref="TlsRptReporter"/> for the fleet (RFC 8460 4).
/// </summary>
/// <remarks>
/// <para>
/// Per UTC day a set of policy domains, <c>{prefix}tlsrpt:{yyyyMMdd}:domains</c>, and per (day, domain) a hash of
/// counters, <c>{prefix}tlsrpt:{yyyyMMdd}:counters:{domain}</c>. One increment is one Lua script, so one round
/// trip per delivery's policy domain: it adds every counter with <c>HINCRBY</c> (atomic; concurrent workers
/// never lose a count), adds the domain to the day's set, enforces
/// <see cref="SmtpDeliverRedisOptions.MaxTlsRptPolicyDomainsPerDay"/> and
/// <see cref="SmtpDeliverRedisOptions.MaxTlsRptCountersPerDomain"/> over the whole fleet (beyond them new
/// counters are not created, existing ones still count, as in <see cref="InMemoryTlsRptResultStore"/>), and sets
/// both keys to expire <see cref="SmtpDeliverRedisOptions.TlsRptRetention"/> after the end of the day.
/// </para>
/// <para>
/// Redis down: <see cref="IncrementAsync"/> logs a warning and returns (those counts are lost; a delivery never
/// fails for its statistics); reading and removing throw, so that a report is sent later rather than with
/// counts missing.
/// </para>
/// </remarks>
public sealed class RedisTlsRptResultStore : ITlsRptResultStore
{
    // KEYS[1] the day's domain set, KEYS[2] the (day, domain) hash. ARGV[1] the domain, ARGV[2] the domain
    // limit, ARGV[3] the counter limit, ARGV[4] the expiry (Unix ms), then name/value pairs. Returns how many
    // counters were not created (all of them when the day is full of other domains).
    private const string IncrementScript = """
        if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
          if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
            return (#ARGV - 4) / 2
          end
          redis.call('SADD', KEYS[1], ARGV[1])
        end
        local count = redis.call('HLEN', KEYS[2])
        local limit = tonumber(ARGV[3])
        local dropped = 0
        for i = 5, #ARGV, 2 do
          if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
            redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
          elseif count < limit then
            redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
            count = count + 1
          else
            dropped = dropped + 1
          end
        end
        redis.call('PEXPIREAT', KEYS[1], ARGV[4])
        if count > 0 then
          redis.call('PEXPIREAT', KEYS[2], ARGV[4])
        end
        return dropped
        """;

    // KEYS[1] the day's domain set, KEYS[2] the (day, domain) hash; ARGV[1] the domain.
    private const string RemoveScript = """
        redis.call('DEL', KEYS[2])
        redis.call('SREM', KEYS[1], ARGV[1])
        return 1
        """;

    private readonly SmtpDeliverRedisOptions _options;
    private readonly IDatabase _db;
    private readonly ILogger _logger;

    /// <summary>A store over <see cref="SmtpDeliverRedisOptions.Connection"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public RedisTlsRptResultStore(SmtpDeliverRedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _db = options.GetDatabase();
        _logger = options.Logger ?? NullLogger.Instance;
    }

    /// <summary>When the keys of <paramref name="day"/> expire: the end of the day plus the retention.</summary>
    internal DateTimeOffset ExpiryOf(DateOnly day) =>
        new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1) + _options.TlsRptRetention;

    /// <inheritdoc/>
    /// <remarks>A Redis failure is logged and not thrown: the counts of this call are lost.</remarks>
    public async ValueTask IncrementAsync(DateOnly day, string policyDomain, IReadOnlyList<KeyValuePair<string, long>> counters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        ArgumentNullException.ThrowIfNull(counters);
        cancellationToken.ThrowIfCancellationRequested();
        if (counters.Count == 0)
        {
            return;
        }
        var args = new RedisValue[4 + 2 * counters.Count];
        args[0] = policyDomain;
        args[1] = _options.MaxTlsRptPolicyDomainsPerDay;
        args[2] = _options.MaxTlsRptCountersPerDomain;
        args[3] = ExpiryOf(day).ToUnixTimeMilliseconds();
        for (var i = 0; i < counters.Count; i++)
        {
            args[4 + 2 * i] = counters[i].Key;
            args[5 + 2 * i] = counters[i].Value;
        }
        try
        {
            var result = await _db.ScriptEvaluateAsync(IncrementScript,
                [RedisKeys.TlsRptDomains(_options.KeyPrefix, day), RedisKeys.TlsRptCounters(_options.KeyPrefix, day, policyDomain)], args)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            var dropped = (long)result;
            if (dropped > 0)
            {
                RedisLog.CountersDropped(_logger, policyDomain, dropped);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            RedisLog.IncrementFailed(_logger, policyDomain, e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>At most <see cref="SmtpDeliverRedisOptions.MaxTlsRptPolicyDomainsPerDay"/> domains are read.</remarks>
    /// <exception cref="RedisException">Redis failed.</exception>
    public async ValueTask<IReadOnlyList<string>> GetPolicyDomainsAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var domains = new List<string>();
        await foreach (var member in _db.SetScanAsync(RedisKeys.TlsRptDomains(_options.KeyPrefix, day), pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (domains.Count >= _options.MaxTlsRptPolicyDomainsPerDay)
            {
                break;
            }
            if (!member.IsNullOrEmpty)
            {
                domains.Add(member!);
            }
        }
        domains.Sort(StringComparer.Ordinal);
        return domains;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// At most <see cref="SmtpDeliverRedisOptions.MaxTlsRptCountersPerDomain"/> counters are read; a counter whose
    /// value is not an integer (not written by this store) is skipped with a warning.
    /// </remarks>
    /// <exception cref="RedisException">Redis failed.</exception>
    public async ValueTask<IReadOnlyDictionary<string, long>> GetCountersAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        var key = RedisKeys.TlsRptCounters(_options.KeyPrefix, day, policyDomain);
        await foreach (var entry in _db.HashScanAsync(key, pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (counters.Count >= _options.MaxTlsRptCountersPerDomain)
            {
                break;
            }
            if (long.TryParse((string?)entry.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && !entry.Name.IsNullOrEmpty)
            {
                counters[entry.Name!] = value;
            }
            else
            {
                RedisLog.CounterInvalid(_logger, policyDomain);
            }
        }
        return counters;
    }

    /// <inheritdoc/>
    /// <exception cref="RedisException">Redis failed.</exception>
    public async ValueTask<bool> TryClaimReportAsync(DateOnly day, string policyDomain, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        // SET NX PX: one worker wins; the claim lapses by itself. Errors are thrown, as for the other reads.
        return await _db.StringSetAsync(RedisKeys.TlsRptClaim(_options.KeyPrefix, day, policyDomain), Environment.MachineName, lease, When.NotExists)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <exception cref="RedisException">Redis failed.</exception>
    public async ValueTask RemoveAsync(DateOnly day, string policyDomain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policyDomain);
        cancellationToken.ThrowIfCancellationRequested();
        // One script: the counters and the domain's membership go together.
        await _db.ScriptEvaluateAsync(RemoveScript,
            [RedisKeys.TlsRptDomains(_options.KeyPrefix, day), RedisKeys.TlsRptCounters(_options.KeyPrefix, day, policyDomain)], [policyDomain])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
