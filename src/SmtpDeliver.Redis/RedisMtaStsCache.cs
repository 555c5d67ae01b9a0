using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Names;
using StackExchange.Redis;

namespace SmtpDeliver.Redis;

/// <summary>
/// An <see cref="IMtaStsCache"/> shared by every worker through Redis (RFC 8461 5.1: a policy once fetched
/// applies until its max_age runs out, also when a later fetch fails; with this cache, also on the workers
/// that did not fetch it). Give it to <see cref="MtaStsPolicySource"/> and the source to
/// <c>DeliveryOptions.MtaSts</c>.
/// </summary>
/// <remarks>
/// <para>
/// One key per domain, <c>{prefix}mta-sts:{domain}</c>, whose Redis expiry is the policy's remaining max_age;
/// the value holds the policy text, its id, when it was fetched and when it expires, so max_age is exact
/// whatever the Redis clock says. A value read back is checked field by field and its policy re-parsed; a
/// value that is corrupted, too long, for another domain, with an expiry that is not fetched time plus max_age,
/// "fetched" in the future, or (with <see cref="SmtpDeliverRedisOptions.PolicySigningKey"/>) not signed, is
/// a cache miss and a warning: the source then fetches the policy again. It is never read leniently into a
/// weaker policy (a lower mode, more MX hosts, a longer life).
/// </para>
/// <para>
/// A store never replaces a policy fetched later (a slow worker cannot roll the fleet back to an older policy).
/// Each worker also keeps the policies it has seen in process, so a Redis that is down, flushed or evicting
/// does not make a worker forget a policy before its max_age. The interface is synchronous: reads and writes
/// block for at most the connection's <c>syncTimeout</c>; a Redis failure is logged and never thrown into
/// delivery (a failed read is a miss unless the in-process copy has the policy, then the source fetches).
/// </para>
/// </remarks>
public sealed class RedisMtaStsCache : IMtaStsCache
{
    // KEYS[1] the policy key; ARGV[1] the value, ARGV[2] its fetched time (ms), ARGV[3] the expiry (ms from now).
    // A value whose fetched time is later stays; anything else (none, corrupted, older) is replaced.
    private const string StoreScript = """
        local old = redis.call('GETRANGE', KEYS[1], 0, 400)
        if old ~= '' then
          local fetched = string.match(old, '^smtpdeliver%-mta%-sts 1\n[^\n]*\n[^\n]*\n(%d+)\n')
          if fetched and tonumber(fetched) > tonumber(ARGV[2]) then
            return 0
          end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
        return 1
        """;

    private readonly SmtpDeliverRedisOptions _options;
    private readonly IDatabase _db;
    private readonly ILogger _logger;
    private readonly byte[] _signingKey;
    private readonly ConcurrentDictionary<string, CachedMtaStsPolicy> _local = new(StringComparer.Ordinal);

    /// <summary>A cache over <see cref="SmtpDeliverRedisOptions.Connection"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public RedisMtaStsCache(SmtpDeliverRedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _db = options.GetDatabase();
        _logger = options.Logger ?? NullLogger.Instance;
        _signingKey = options.PolicySigningKey.ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask<CachedMtaStsPolicy?> GetAsync(Domain domain, CancellationToken cancellationToken)
    {
        var name = domain.Ascii;
        var now = _options.TimeProvider.GetUtcNow();
        CachedMtaStsPolicy? shared = null;
        try
        {
            // Never more than MaxBytes from a hostile or corrupted database.
            var value = await _db.StringGetRangeAsync(RedisKeys.MtaStsPolicy(_options.KeyPrefix, name), 0, MtaStsPolicyValue.MaxBytes - 1).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!value.IsNullOrEmpty)
            {
                var bytes = (byte[])value!;
                shared = bytes.Length >= MtaStsPolicyValue.MaxBytes ? null
                    : MtaStsPolicyValue.Decode(name, Encoding.UTF8.GetString(bytes), _signingKey, now, out var reason) is { } decoded ? decoded
                    : Invalid(name, reason);
                if (bytes.Length >= MtaStsPolicyValue.MaxBytes)
                {
                    RedisLog.PolicyInvalid(_logger, name, "too long");
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            RedisLog.PolicyReadFailed(_logger, name, e);
        }
        _local.TryGetValue(name, out var local);
        var best = Better(shared, local, now);
        if (best is not null && !ReferenceEquals(best, local))
        {
            KeepLocal(name, best, now);
        }
        return best;
    }

    /// <inheritdoc/>
    public async ValueTask StoreAsync(Domain domain, CachedMtaStsPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var name = domain.Ascii;
        var now = _options.TimeProvider.GetUtcNow();
        KeepLocal(name, policy, now);
        var ttl = (long)(policy.Expires - now).TotalMilliseconds;
        if (ttl <= 0)
        {
            return;
        }
        var value = MtaStsPolicyValue.Encode(name, policy, _signingKey);
        if (Encoding.UTF8.GetByteCount(value) >= MtaStsPolicyValue.MaxBytes)
        {
            RedisLog.PolicyInvalid(_logger, name, "too long to store");
            return;
        }
        try
        {
            await _db.ScriptEvaluateAsync(StoreScript, [RedisKeys.MtaStsPolicy(_options.KeyPrefix, name)],
                [value, MtaStsPolicyValue.FetchedMilliseconds(policy).ToString(CultureInfo.InvariantCulture), ttl.ToString(CultureInfo.InvariantCulture)]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            RedisLog.PolicyWriteFailed(_logger, name, e);
        }
    }

    private CachedMtaStsPolicy? Invalid(string name, string reason)
    {
        RedisLog.PolicyInvalid(_logger, name, reason);
        return null;
    }

    /// <summary>An unexpired policy over an expired one; of two, the one fetched later (RFC 8461 5.1: the newest).</summary>
    private static CachedMtaStsPolicy? Better(CachedMtaStsPolicy? a, CachedMtaStsPolicy? b, DateTimeOffset now)
    {
        if (a is null || b is null)
        {
            return a ?? b;
        }
        var (aLive, bLive) = (a.Expires > now, b.Expires > now);
        if (aLive != bLive)
        {
            return aLive ? a : b;
        }
        return MtaStsPolicyValue.FetchedMilliseconds(a) >= MtaStsPolicyValue.FetchedMilliseconds(b) ? a : b;
    }

    private void KeepLocal(string name, CachedMtaStsPolicy policy, DateTimeOffset now)
    {
        if (_options.MaxLocalMtaStsPolicies == 0)
        {
            return;
        }
        if (!_local.ContainsKey(name) && _local.Count >= _options.MaxLocalMtaStsPolicies)
        {
            foreach (var (key, value) in _local)
            {
                if (value.Expires <= now)
                {
                    _local.TryRemove(key, out _);
                }
            }
            if (_local.Count >= _options.MaxLocalMtaStsPolicies)
            {
                // Full of live policies: this one is in Redis only.
                return;
            }
        }
        _local.AddOrUpdate(name, policy, (_, old) => Better(policy, old, now)!);
    }
}
