using Microsoft.Extensions.Time.Testing;
using SmtpDeliver.Delivery;
using SmtpDeliver.TlsRpt;
using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>Daily TLSRPT aggregation by policy domain and UTC day (RFC 8460 4).</summary>
public class ReportAggregationTests
{
    private static readonly TlsRptResultPolicy Sts = new()
    {
        Type = PolicyType.Sts,
        Domain = "example.org",
        Strings = ["version: STSv1", "mode: enforce", "mx: *.example.org", "max_age: 86400"],
        MxHost = ["*.example.org"],
    };

    private static FakeTimeProvider Clock(string utc = "2026-03-01T12:00:00Z") => new(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

    private static TlsRptResult Result(TlsRptResultPolicy policy, long success, long failure, params FailureDetails[] details)
    {
        var r = new TlsRptResult(policy);
        r.Add(success, failure, details);
        return r;
    }

    private static TlsRptResult Host(string type, string host, long success, long failure, params FailureDetails[] details) =>
        Result(new TlsRptResultPolicy { Type = type, Domain = host, Strings = type == PolicyType.Tlsa ? ["3 1 1 aa"] : [] }, success, failure, details);

    [Fact]
    public async Task A_day_of_mixed_results_gives_the_counts_and_merged_failure_details()
    {
        var aggregator = new TlsRptAggregator(new InMemoryTlsRptResultStore(), Clock());
        var daneNoMatch = FailureDetails.Of(ResultType.ValidationFailure, "dane-no-match") with { ReceivingMxHostname = "mx1.example.org", ReceivingIp = "127.0.0.11" };
        var stsMismatch = FailureDetails.Of(ResultType.CertificateHostMismatch, "") with { ReceivingMxHostname = "mx2.example.org", ReceivingIp = "127.0.0.12" };
        var noStartTls = FailureDetails.Of(ResultType.StartTlsNotSupported, "") with { ReceivingMxHostname = "mx3.example.org", ReceivingIp = "127.0.0.13" };
        // 1: success over MTA-STS to mx1, whose DANE also verified.
        await aggregator.RecordAsync([Result(Sts, 1, 0), Host(PolicyType.Tlsa, "mx1.example.org", 1, 0)]);
        // 2: DANE failure on mx1, then success on mx2.
        await aggregator.RecordAsync([Result(Sts, 1, 0), Host(PolicyType.Tlsa, "mx1.example.org", 0, 1, daneNoMatch), Host(PolicyType.NoPolicyFound, "mx2.example.org", 1, 0)]);
        // 3 and 4: MTA-STS certificate failure on mx2, twice (merged), then mx3 without STARTTLS.
        await aggregator.RecordAsync([Result(Sts, 0, 2, stsMismatch with { FailedSessionCount = 2 }), Host(PolicyType.NoPolicyFound, "mx2.example.org", 0, 1)]);
        await aggregator.RecordAsync([Result(Sts, 0, 1, stsMismatch with { FailedSessionCount = 1 }), Result(Sts, 0, 1, noStartTls)]);
        // A host result that counted nothing is not recorded.
        await aggregator.RecordAsync([Host(PolicyType.NoPolicyFound, "unused.example.org", 0, 0)]);

        var day = new DateOnly(2026, 3, 1);
        Assert.Equal(["example.org", "mx1.example.org", "mx2.example.org"], await aggregator.GetPolicyDomainsAsync(day));
        var sts = Assert.Single(await aggregator.GetResultsAsync(day, "example.org"));
        Assert.Equal(Sts, sts.Policy);
        Assert.Equal((2L, 4L), (sts.Summary.TotalSuccessfulSessionCount, sts.Summary.TotalFailureSessionCount));
        Assert.Equal(2, sts.FailureDetails.Count);
        Assert.Equal(3, sts.FailureDetails.Single(d => d.ResultType == ResultType.CertificateHostMismatch).FailedSessionCount);
        Assert.Equal(noStartTls, sts.FailureDetails.Single(d => d.ResultType == ResultType.StartTlsNotSupported));
        var dane = Assert.Single(await aggregator.GetResultsAsync(day, "MX1.example.org."));
        Assert.Equal((PolicyType.Tlsa, 1L, 1L), (dane.Policy.Type, dane.Summary.TotalSuccessfulSessionCount, dane.Summary.TotalFailureSessionCount));
        Assert.Equal(daneNoMatch, Assert.Single(dane.FailureDetails));
        var mx2 = Assert.Single(await aggregator.GetResultsAsync(day, "mx2.example.org"));
        Assert.Equal((1L, 1L), (mx2.Summary.TotalSuccessfulSessionCount, mx2.Summary.TotalFailureSessionCount));
        Assert.Empty(mx2.FailureDetails);
    }

    [Fact]
    public async Task Concurrent_recording_from_many_tasks_loses_nothing()
    {
        var aggregator = new TlsRptAggregator(new InMemoryTlsRptResultStore(), Clock());
        const int Tasks = 16, PerTask = 400;
        var detail = FailureDetails.Of(ResultType.CertificateExpired, "") with { ReceivingMxHostname = "mx.example.org" };
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < PerTask; i++)
            {
                // Different hosts per task create counters concurrently as well as add to them.
                await aggregator.RecordAsync([Result(Sts, 1, 1, detail), Host(PolicyType.NoPolicyFound, $"mx{i % 7}.example.org", 2, 0)]);
            }
        })));
        var day = new DateOnly(2026, 3, 1);
        var sts = Assert.Single(await aggregator.GetResultsAsync(day, "example.org"));
        Assert.Equal((Tasks * PerTask, (long)Tasks * PerTask), (sts.Summary.TotalSuccessfulSessionCount, sts.Summary.TotalFailureSessionCount));
        Assert.Equal(Tasks * PerTask, Assert.Single(sts.FailureDetails).FailedSessionCount);
        long hosts = 0;
        for (var h = 0; h < 7; h++)
        {
            hosts += Assert.Single(await aggregator.GetResultsAsync(day, $"mx{h}.example.org")).Summary.TotalSuccessfulSessionCount;
        }
        Assert.Equal(2L * Tasks * PerTask, hosts);
    }

    [Fact]
    public async Task Results_go_to_the_utc_day_in_which_they_are_recorded()
    {
        var clock = Clock("2026-03-01T23:59:59Z");
        var aggregator = new TlsRptAggregator(new InMemoryTlsRptResultStore(), clock);
        await aggregator.RecordAsync([Result(Sts, 1, 0)]);
        clock.Advance(TimeSpan.FromSeconds(1));
        await aggregator.RecordAsync([Result(Sts, 2, 0)]);
        Assert.Equal(1, Assert.Single(await aggregator.GetResultsAsync(new DateOnly(2026, 3, 1), "example.org")).Summary.TotalSuccessfulSessionCount);
        Assert.Equal(2, Assert.Single(await aggregator.GetResultsAsync(new DateOnly(2026, 3, 2), "example.org")).Summary.TotalSuccessfulSessionCount);
        Assert.Empty(await aggregator.GetResultsAsync(new DateOnly(2026, 2, 28), "example.org"));
    }

    [Fact]
    public async Task The_delivery_of_a_report_is_not_recorded()
    {
        var aggregator = new TlsRptAggregator(new InMemoryTlsRptResultStore(), Clock());
        var outcome = new DeliveryOutcome([], [], Result(Sts, 1, 0), [Host(PolicyType.NoPolicyFound, "mx.example.org", 1, 0)]);
        var file = TlsRptReportFile.Create(new TlsRptReport(), "sender.example", "example.org", "abc");
        var report = TlsRptReportMessage.Create(new TlsRptReport { ReportId = "x" }, file, "example.org", "sender.example",
            EnvelopeAddress.Parse("tlsrpt@sender.example"), EnvelopeAddress.Parse("reports@example.org"), DateTimeOffset.UnixEpoch);
        await aggregator.RecordAsync(report.Request, outcome);
        Assert.Empty(await aggregator.GetPolicyDomainsAsync(aggregator.Today));
        // The mark is data on the request: a copy (as a queue makes when it rebuilds a stored request) keeps
        // it. (It lived beside the object before and a copy lost it.)
        await aggregator.RecordAsync(report.Request with { DialHistory = new DialHistory() }, outcome);
        Assert.Empty(await aggregator.GetPolicyDomainsAsync(aggregator.Today));
        // The same results for an ordinary message count.
        await aggregator.RecordAsync(report.Request with { IsTlsRptReport = false }, outcome);
        Assert.Equal(["example.org", "mx.example.org"], await aggregator.GetPolicyDomainsAsync(aggregator.Today));
    }

    [Fact]
    public async Task The_in_memory_store_bounds_new_counters_but_keeps_counting_existing_ones()
    {
        var aggregator = new TlsRptAggregator(new InMemoryTlsRptResultStore { MaxCountersPerDomain = 4 }, Clock());
        for (var i = 0; i < 50; i++)
        {
            // A hostile MX inventing a new greeting name for every session.
            await aggregator.RecordAsync([Result(Sts, 0, 1, FailureDetails.Of(ResultType.ValidationFailure, "") with { ReceivingMxHelo = $"helo{i}" })]);
        }
        var sts = Assert.Single(await aggregator.GetResultsAsync(aggregator.Today, "example.org"));
        Assert.Equal(50, sts.Summary.TotalFailureSessionCount);
        Assert.Equal(2, sts.FailureDetails.Count);
    }
}
