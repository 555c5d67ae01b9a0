using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SmtpDeliver.Redis.IntegrationTests;

/// <summary><see cref="RedisTlsRptResultStore"/> against the real redis-server: atomic counts, limits, expiry, Redis down.</summary>
public sealed class RedisTlsRptResultStoreTests : IAsyncLifetime
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);
    private readonly string _prefix = RedisEnvironment.UniquePrefix();
    private ConnectionMultiplexer _a = null!;
    private ConnectionMultiplexer _b = null!;

    public async Task InitializeAsync() => (_a, _b) = (await RedisEnvironment.ConnectAsync(), await RedisEnvironment.ConnectAsync());

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private static KeyValuePair<string, long>[] Counters(params (string Name, long Value)[] counters) => [.. counters.Select(c => KeyValuePair.Create(c.Name, c.Value))];

    [Fact]
    public async Task Concurrent_increments_from_two_workers_add_up_exactly()
    {
        var stores = new[] { new RedisTlsRptResultStore(RedisEnvironment.Options(_a, _prefix)), new RedisTlsRptResultStore(RedisEnvironment.Options(_b, _prefix)) };
        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => stores[i % 2].IncrementAsync(Today, i % 3 == 0 ? "example.net" : "example.org", Counters(("ok", 1), ("failed", i % 5 == 0 ? 2 : 0)), default).AsTask()));

        Assert.Equal(["example.net", "example.org"], await stores[0].GetPolicyDomainsAsync(Today, default));
        var org = await stores[1].GetCountersAsync(Today, "example.org", default);
        var net = await stores[0].GetCountersAsync(Today, "example.net", default);
        var expectedNet = Enumerable.Range(0, 400).Where(i => i % 3 == 0).ToList();
        Assert.Equal(expectedNet.Count, net["ok"]);
        Assert.Equal(400 - expectedNet.Count, org["ok"]);
        Assert.Equal(2 * expectedNet.Count(i => i % 5 == 0), net["failed"]);
        Assert.Equal(2 * Enumerable.Range(0, 400).Count(i => i % 3 != 0 && i % 5 == 0), org["failed"]);
    }

    [Fact]
    public async Task Two_workers_running_the_daily_job_get_one_claim_per_report()
    {
        var stores = new[] { new RedisTlsRptResultStore(RedisEnvironment.Options(_a, _prefix)), new RedisTlsRptResultStore(RedisEnvironment.Options(_b, _prefix)) };
        var lease = TimeSpan.FromSeconds(30);
        var claims = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => stores[i % 2].TryClaimReportAsync(Today, "example.org", lease, default).AsTask()));
        Assert.Equal(1, claims.Count(c => c));
        Assert.True(await stores[1].TryClaimReportAsync(Today, "example.net", lease, default));
        // The claim lapses by itself (Redis expiry): a report that could not be made is claimed again later.
        var ttl = await _a.GetDatabase().KeyTimeToLiveAsync(_prefix + $"tlsrpt:{{{Today:yyyyMMdd}}}:claim:example.org");
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), lease);
    }

    [Fact]
    public async Task Counter_limit_holds_across_workers_and_existing_counters_still_count()
    {
        var options = RedisEnvironment.Options(_a, _prefix) with { MaxTlsRptCountersPerDomain = 3 };
        var a = new RedisTlsRptResultStore(options);
        var b = new RedisTlsRptResultStore(options with { Connection = _b });
        await a.IncrementAsync(Today, "example.org", Counters(("c0", 1), ("c1", 1)), default);
        // A hostile receiver inventing distinct failure details on every worker.
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => (i % 2 == 0 ? a : b).IncrementAsync(Today, "example.org", Counters(($"new{i}", 1), ("c0", 1)), default).AsTask()));

        var counters = await a.GetCountersAsync(Today, "example.org", default);
        Assert.Equal(3, counters.Count);
        Assert.Equal(51, counters["c0"]);
    }

    [Fact]
    public async Task Domain_limit_holds_across_workers()
    {
        var options = RedisEnvironment.Options(_a, _prefix) with { MaxTlsRptPolicyDomainsPerDay = 2 };
        var a = new RedisTlsRptResultStore(options);
        var b = new RedisTlsRptResultStore(options with { Connection = _b });
        await a.IncrementAsync(Today, "one.example", Counters(("ok", 1)), default);
        await b.IncrementAsync(Today, "two.example", Counters(("ok", 1)), default);
        await a.IncrementAsync(Today, "three.example", Counters(("ok", 1)), default);
        await b.IncrementAsync(Today, "one.example", Counters(("ok", 1)), default);

        Assert.Equal(["one.example", "two.example"], await b.GetPolicyDomainsAsync(Today, default));
        Assert.Empty(await a.GetCountersAsync(Today, "three.example", default));
        Assert.Equal(2, (await a.GetCountersAsync(Today, "one.example", default))["ok"]);
    }

    [Fact]
    public async Task Keys_expire_the_retention_after_the_end_of_their_day()
    {
        var store = new RedisTlsRptResultStore(RedisEnvironment.Options(_a, _prefix));
        await store.IncrementAsync(Today, "example.org", Counters(("ok", 1)), default);
        var db = _a.GetDatabase();
        var expected = new DateTimeOffset(Today.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(4).UtcDateTime;
        Assert.Equal(expected, await db.KeyExpireTimeAsync(RedisKeys.TlsRptCounters(_prefix, Today, "example.org")));
        Assert.Equal(expected, await db.KeyExpireTimeAsync(RedisKeys.TlsRptDomains(_prefix, Today)));

        // A day whose retention is over leaves nothing behind.
        var old = Today.AddDays(-4);
        await store.IncrementAsync(old, "example.org", Counters(("ok", 1)), default);
        Assert.False(await db.KeyExistsAsync(RedisKeys.TlsRptCounters(_prefix, old, "example.org")));
        Assert.Empty(await store.GetPolicyDomainsAsync(old, default));
    }

    [Fact]
    public async Task Remove_deletes_the_counters_and_the_domain_of_the_day()
    {
        var store = new RedisTlsRptResultStore(RedisEnvironment.Options(_a, _prefix));
        await store.IncrementAsync(Today, "example.org", Counters(("ok", 1)), default);
        await store.IncrementAsync(Today, "example.net", Counters(("ok", 1)), default);
        await store.RemoveAsync(Today, "example.org", default);

        Assert.Equal(["example.net"], await store.GetPolicyDomainsAsync(Today, default));
        Assert.Empty(await store.GetCountersAsync(Today, "example.org", default));
    }

    [Fact]
    public async Task Counter_that_is_not_an_integer_is_skipped_with_a_warning()
    {
        var logger = new CapturingLogger();
        var store = new RedisTlsRptResultStore(RedisEnvironment.Options(_a, _prefix, logger));
        await store.IncrementAsync(Today, "example.org", Counters(("ok", 5)), default);
        await _a.GetDatabase().HashSetAsync(RedisKeys.TlsRptCounters(_prefix, Today, "example.org"), "bad", "not a number");

        var counters = await store.GetCountersAsync(Today, "example.org", default);
        Assert.Equal(new Dictionary<string, long> { ["ok"] = 5 }, counters);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Increment_over_a_key_of_the_wrong_type_is_logged_not_thrown()
    {
        await _a.GetDatabase().StringSetAsync(RedisKeys.TlsRptCounters(_prefix, Today, "example.org"), "corrupt");
        var logger = new CapturingLogger();
        await new RedisTlsRptResultStore(RedisEnvironment.Options(_a, _prefix, logger)).IncrementAsync(Today, "example.org", Counters(("ok", 1)), default);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("counts are lost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redis_down_loses_increments_with_a_warning_and_reads_throw()
    {
        await using var down = await RedisEnvironment.ConnectUnreachableAsync();
        var logger = new CapturingLogger();
        var store = new RedisTlsRptResultStore(RedisEnvironment.Options(down, _prefix, logger));

        await store.IncrementAsync(Today, "example.org", Counters(("ok", 1)), default);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("counts are lost", StringComparison.Ordinal));
        await Assert.ThrowsAsync<RedisConnectionException>(async () => await store.GetPolicyDomainsAsync(Today, default));
        await Assert.ThrowsAsync<RedisConnectionException>(async () => await store.GetCountersAsync(Today, "example.org", default));
        await Assert.ThrowsAsync<RedisConnectionException>(async () => await store.RemoveAsync(Today, "example.org", default));
    }
}
