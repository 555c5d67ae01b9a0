using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>The in-process TLSRPT store: caps per day and domain, and days forgotten after the retention.</summary>
public class InMemoryTlsRptResultStoreTests
{
    private static readonly DateOnly Day = new(2026, 12, 1);

    private static KeyValuePair<string, long>[] One(string name) => [new(name, 1)];

    [Fact]
    public async Task Days_older_than_the_retention_before_the_newest_day_are_dropped()
    {
        var store = new InMemoryTlsRptResultStore { RetentionDays = 7 };
        await store.IncrementAsync(Day, "example.org", One("s"), default);
        await store.IncrementAsync(Day.AddDays(1), "example.org", One("s"), default);
        await store.IncrementAsync(Day.AddDays(8), "example.org", One("s"), default);
        // Day + 8 is the newest: Day + 1 is 7 days before it and kept, Day is 8 days before and dropped.
        Assert.Empty(await store.GetPolicyDomainsAsync(Day, default));
        Assert.Equal(["example.org"], await store.GetPolicyDomainsAsync(Day.AddDays(1), default));
        // A late result for a day past the retention is not kept either.
        await store.IncrementAsync(Day, "example.org", One("s"), default);
        Assert.Empty(await store.GetPolicyDomainsAsync(Day, default));
    }

    [Fact]
    public async Task Domain_cap_holds_under_concurrency_and_a_removed_domain_frees_its_place()
    {
        var store = new InMemoryTlsRptResultStore { MaxPolicyDomainsPerDay = 50 };
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () => await store.IncrementAsync(Day, $"d{i}.example", One("s"), default))));
        var domains = await store.GetPolicyDomainsAsync(Day, default);
        Assert.Equal(50, domains.Count);
        await store.RemoveAsync(Day, domains[0], default);
        await store.IncrementAsync(Day, "late.example", One("s"), default);
        Assert.Contains("late.example", await store.GetPolicyDomainsAsync(Day, default));
        Assert.Equal(50, (await store.GetPolicyDomainsAsync(Day, default)).Count);
    }

    [Fact]
    public async Task One_claim_per_report_among_concurrent_workers_and_it_lapses_after_the_lease()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
        var store = new InMemoryTlsRptResultStore { TimeProvider = clock };
        var lease = TimeSpan.FromMinutes(15);
        var claims = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () => await store.TryClaimReportAsync(Day, "example.org", lease, default))));
        Assert.Equal(1, claims.Count(c => c));
        Assert.True(await store.TryClaimReportAsync(Day, "other.example", lease, default));
        clock.Advance(lease);
        Assert.True(await store.TryClaimReportAsync(Day, "example.org", lease, default));
        Assert.False(await store.TryClaimReportAsync(Day, "example.org", lease, default));
    }
}
