using System.Text;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Names;
using StackExchange.Redis;

namespace SmtpDeliver.Redis.IntegrationTests;

/// <summary><see cref="RedisMtaStsCache"/> against the real redis-server: sharing, expiry, corruption, Redis down.</summary>
public sealed class RedisMtaStsCacheTests : IAsyncLifetime
{
    private static readonly Domain Example = Domain.Parse("example.org");
    private readonly string _prefix = RedisEnvironment.UniquePrefix();
    private ConnectionMultiplexer _a = null!;
    private ConnectionMultiplexer _b = null!;

    public async Task InitializeAsync() => (_a, _b) = (await RedisEnvironment.ConnectAsync(), await RedisEnvironment.ConnectAsync());

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private string Key => _prefix + "mta-sts:example.org";

    private static CachedMtaStsPolicy Policy(string id = "1", string mode = "enforce", TimeSpan? fetchedAgo = null) =>
        new(id, MtaStsPolicy.Parse($"version: STSv1\nmode: {mode}\nmx: mx.example.org\nmax_age: 86400\n"),
            DateTimeOffset.UtcNow - (fetchedAgo ?? TimeSpan.Zero) + TimeSpan.FromSeconds(86400));

    [Fact]
    public async Task Policy_stored_by_one_worker_is_read_by_another_with_its_expiry()
    {
        var stored = Policy();
        await new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix)).StoreAsync(Example, stored, default);

        var read = await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix)).GetAsync(Example, default);

        Assert.NotNull(read);
        Assert.Equal((stored.Id, stored.Policy.Mode, stored.Policy.MaxAge), (read.Id, read.Policy.Mode, read.Policy.MaxAge));
        Assert.Equal(stored.Expires.ToUnixTimeMilliseconds(), read.Expires.ToUnixTimeMilliseconds());
        Assert.Equal(stored.Policy.MxPatterns, read.Policy.MxPatterns);
        // Redis forgets it when max_age runs out (RFC 8461 3.2).
        var ttl = await _b.GetDatabase().KeyTimeToLiveAsync(Key);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(86400 - 60), TimeSpan.FromSeconds(86400));
    }

    [Fact]
    public async Task Expiry_counts_from_the_fetch_not_from_the_store()
    {
        await new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix)).StoreAsync(Example, Policy(fetchedAgo: TimeSpan.FromHours(20)), default);
        var ttl = await _a.GetDatabase().KeyTimeToLiveAsync(Key);
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(4) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(4));
    }

    [Fact]
    public async Task Expired_policy_is_not_written()
    {
        await new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix)).StoreAsync(Example, Policy(fetchedAgo: TimeSpan.FromDays(2)), default);
        Assert.False(await _a.GetDatabase().KeyExistsAsync(Key));
    }

    [Fact]
    public async Task Policy_fetched_earlier_does_not_replace_one_fetched_later()
    {
        await new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix)).StoreAsync(Example, Policy(id: "new"), default);
        // A slow worker finishing an older fetch.
        await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix)).StoreAsync(Example, Policy(id: "old", mode: "none", fetchedAgo: TimeSpan.FromHours(1)), default);

        var read = await new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix)).GetAsync(Example, default);

        Assert.NotNull(read);
        Assert.Equal(("new", MtaStsMode.Enforce), (read.Id, read.Policy.Mode));
    }

    [Fact]
    public async Task Policy_fetched_later_replaces_the_stored_one()
    {
        await new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix)).StoreAsync(Example, Policy(id: "old", fetchedAgo: TimeSpan.FromHours(1)), default);
        await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix)).StoreAsync(Example, Policy(id: "new", mode: "testing"), default);

        var read = await new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix)).GetAsync(Example, default);

        Assert.NotNull(read);
        Assert.Equal(("new", MtaStsMode.Testing), (read.Id, read.Policy.Mode));
    }

    public static TheoryData<string> Corruptions => new()
    {
        "garbage",
        "smtpdeliver-mta-sts 1\nexample.org\n1\n{expires}\n{later}\n-\nversion: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 86400",
        "smtpdeliver-mta-sts 1\nexample.net\n1\n{fetched}\n{expires}\n-\nversion: STSv1\nmode: none\nmax_age: 86400",
        "smtpdeliver-mta-sts 1\nexample.org\n1\n{fetched}\n{expires}\n-\nversion: STSv1\nmode: \u00ffnone\nmax_age: 86400",
        "smtpdeliver-mta-sts 1\nexample.org\n1\n{fetched}\n{expires}\n-\nversion: STSv1\nmode: testing\nmx: *.org\nmax_age: 86400\nx: {long}",
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task Corrupted_value_is_a_miss_with_a_warning(string value)
    {
        var fetched = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // {later} after {expires}: fetched a day in the future, which would stretch the policy's life.
        value = value.Replace("{fetched}", fetched.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{expires}", (fetched + 86_400_000).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{later}", (fetched + 2 * 86_400_000).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{long}", new string('a', 300 * 1024), StringComparison.Ordinal);
        await _a.GetDatabase().StringSetAsync(Key, value);
        var logger = new CapturingLogger();

        Assert.Null(await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix, logger)).GetAsync(Example, default));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("example.org", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Value_of_the_wrong_type_is_a_miss_with_a_warning()
    {
        await _a.GetDatabase().HashSetAsync(Key, "mode", "none");
        var logger = new CapturingLogger();
        Assert.Null(await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix, logger)).GetAsync(Example, default));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task With_a_signing_key_a_weaker_policy_written_into_redis_is_a_miss()
    {
        var key = Encoding.ASCII.GetBytes("fleet-key-0123456789");
        var signed = RedisEnvironment.Options(_a, _prefix) with { PolicySigningKey = key };
        await new RedisMtaStsCache(signed).StoreAsync(Example, Policy(), default);
        var db = _a.GetDatabase();
        string value = (await db.StringGetAsync(Key))!;
        await db.StringSetAsync(Key, value.Replace("mode: enforce", "mode: none", StringComparison.Ordinal));
        var logger = new CapturingLogger();

        Assert.Null(await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix, logger) with { PolicySigningKey = key }).GetAsync(Example, default));
        Assert.Contains(logger.Entries, e => e.Message.Contains("signature", StringComparison.Ordinal));
        // Untouched, the signed value is read.
        await db.StringSetAsync(Key, value);
        Assert.NotNull(await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix) with { PolicySigningKey = key }).GetAsync(Example, default));
    }

    [Fact]
    public async Task Worker_keeps_a_policy_it_has_seen_when_redis_loses_it()
    {
        var cache = new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix));
        await cache.StoreAsync(Example, Policy(id: "seen"), default);
        await _a.GetDatabase().KeyDeleteAsync(Key);

        var read = await cache.GetAsync(Example, default);

        Assert.NotNull(read);
        Assert.Equal("seen", read.Id);
        // Another worker never saw it.
        Assert.Null(await new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix)).GetAsync(Example, default));
    }

    [Fact]
    public async Task Redis_down_is_a_miss_never_an_exception_and_the_seen_policy_still_applies()
    {
        await using var down = await RedisEnvironment.ConnectUnreachableAsync();
        var logger = new CapturingLogger();
        var cache = new RedisMtaStsCache(RedisEnvironment.Options(down, _prefix, logger));

        Assert.Null(await cache.GetAsync(Example, default));
        await cache.StoreAsync(Example, Policy(id: "local"), default);
        var read = await cache.GetAsync(Example, default);
        Assert.NotNull(read);
        Assert.Equal("local", read.Id);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("read of example.org failed", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("write of example.org failed", StringComparison.Ordinal));
    }
}
