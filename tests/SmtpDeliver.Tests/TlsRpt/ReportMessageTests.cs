using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SmtpDeliver.Testing;
using SmtpDeliver.TlsRpt;
using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>The daily report: JSON (RFC 8460 4), file name (5.1) and report message (5.3).</summary>
public class ReportMessageTests
{
    // RFC 8460 Appendix B, documentation addresses replaced by loopback ones (project rule).
    private const string AppendixB = """
        {"organization-name":"Company-X","date-range":{"start-datetime":"2016-04-01T00:00:00Z","end-datetime":"2016-04-01T23:59:59Z"},
         "contact-info":"sts-reporting@company-x.example","report-id":"5065427c-23d3-47ca-b6e0-946ea0e8c4be",
         "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: *.mail.company-y.example","max_age: 86400"],
           "policy-domain":"company-y.example","mx-host":["*.mail.company-y.example"]},
          "summary":{"total-successful-session-count":5326,"total-failure-session-count":303},
          "failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"::1","receiving-mx-hostname":"mx1.mail.company-y.example","failed-session-count":100},
           {"result-type":"starttls-not-supported","sending-mta-ip":"::1","receiving-mx-hostname":"mx2.mail.company-y.example","receiving-ip":"127.0.0.56","failed-session-count":200,
            "additional-information":"https://reports.company-x.example/report_info ? id = 5065427 c - 23 d3# StarttlsNotSupported "},
           {"result-type":"validation-failure","sending-mta-ip":"127.0.0.62","receiving-ip":"127.0.0.58","receiving-mx-hostname":"mx-backup.mail.company-y.example",
            "failed-session-count":3,"failure-reason-code":"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"}]}]}
        """;

    /// <summary>Every member of <paramref name="expected"/> is in <paramref name="actual"/> with an equal value.</summary>
    private static void AssertContains(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case JsonObject o:
                var a = Assert.IsType<JsonObject>(actual);
                foreach (var (name, value) in o)
                {
                    Assert.True(a.ContainsKey(name), $"{path}.{name} missing");
                    AssertContains(value, a[name], $"{path}.{name}");
                }
                break;
            case JsonArray arr:
                var b = Assert.IsType<JsonArray>(actual);
                Assert.Equal(arr.Count, b.Count);
                for (var i = 0; i < arr.Count; i++)
                {
                    AssertContains(arr[i], b[i], $"{path}[{i}]");
                }
                break;
            default:
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: {expected?.ToJsonString()} != {actual?.ToJsonString()}");
                break;
        }
    }

    [Fact]
    public void The_appendix_b_report_round_trips_through_our_json()
    {
        var json = TlsRptReport.Parse(AppendixB).ToJson();
        AssertContains(JsonNode.Parse(AppendixB), JsonNode.Parse(json));
        Assert.Equal(json, TlsRptReport.Parse(json).ToJson());
    }

    [Fact]
    public void Null_policies_read_as_none() =>
        Assert.Empty(TlsRptReport.Parse("""{"organization-name":"x","date-range":{"start-datetime":"2016-04-01T00:00:00Z","end-datetime":"2016-04-01T23:59:59Z"},"contact-info":"c","report-id":"r","policies":null}""").Policies);

    private static (TlsRptAggregator Aggregator, FakeTimeProvider Clock) Day()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        return (new TlsRptAggregator(new InMemoryTlsRptResultStore { TimeProvider = clock }, clock), clock);
    }

    private static TlsRptReporter Reporter(TlsRptAggregator aggregator, InMemoryResolver resolver) => new(aggregator, resolver)
    {
        Submitter = "mail.sender.example",
        From = EnvelopeAddress.Parse("tlsrpt-noreply@sender.example"),
    };

    private static async Task RecordFailureAsync(TlsRptAggregator aggregator, string domain = "example.org")
    {
        var r = new TlsRptResult(PolicyType.NoPolicyFound, domain);
        r.Add(3, 1, FailureDetails.Of(ResultType.StartTlsNotSupported, "") with { ReceivingMxHostname = "mx." + domain });
        await aggregator.RecordAsync([r]);
    }

    [Fact]
    public async Task A_record_with_many_destinations_gets_reports_at_the_first_few_only()
    {
        // Review: a hostile record could name hundreds of destinations, each a POST or a message every day.
        var (aggregator, clock) = Day();
        await RecordFailureAsync(aggregator);
        clock.Advance(TimeSpan.FromDays(1));
        var rua = string.Join(",", Enumerable.Range(0, 40).Select(i => $"mailto:r{i}@example.org"));
        var resolver = new InMemoryResolver { Txt = { ["_smtp._tls.example.org."] = [$"v=TLSRPTv1; rua={rua}"] } };

        var result = Assert.Single(await Reporter(aggregator, resolver).ReportDayAsync(new DateOnly(2026, 3, 1)));

        Assert.Equal(40, result.Destinations.Count);
        Assert.Equal(5, result.Messages.Count());
        Assert.All(result.Destinations.Skip(5), d => Assert.Equal(TlsRptRuaRefusal.TooManyDestinations, d.Refusal));
    }

    [Fact]
    public async Task The_report_message_follows_rfc_8460_5_3_and_its_attachment_parses_back()
    {
        var (aggregator, clock) = Day();
        await RecordFailureAsync(aggregator);
        clock.Advance(TimeSpan.FromDays(1));
        var resolver = new InMemoryResolver
        {
            Txt = { ["_smtp._tls.example.org."] = ["v=TLSRPTv1; rua=mailto:tlsrpt@example.org!10m,mailto:small@example.org!1k,ftp://reports.example.org/"] },
        };

        var day = new DateOnly(2026, 3, 1);
        var result = Assert.Single(await Reporter(aggregator, resolver).ReportDayAsync(day));

        Assert.Equal(TlsRptDomainReportStatus.Reported, result.Status);
        Assert.Equal([null, TlsRptRuaRefusal.ReportTooLarge, TlsRptRuaRefusal.UnsupportedScheme], result.Destinations.Select(d => d.Refusal));
        var report = Assert.Single(result.Messages);
        Assert.True(TlsRptReportMessage.IsReport(report.Request));
        Assert.Equal(["tlsrpt@example.org"], report.Request.Recipients.Select(r => r.ToString()));
        Assert.Equal("tlsrpt-noreply@sender.example", report.Request.MailFrom.ToString());

        // What goes over the wire, read back.
        using var wire = report.Request.OpenMessage();
        var message = await MimeMessage.LoadAsync(wire);
        Assert.True(TlsRptReportMessage.IsReport(message));
        Assert.Equal("example.org", message.Headers["TLS-Report-Domain"]);
        Assert.Equal("mail.sender.example", message.Headers["TLS-Report-Submitter"]);
        Assert.Equal($"Report Domain: example.org Submitter: mail.sender.example Report-ID: <{result.Report!.ReportId}>", message.Subject);
        var parts = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("tlsrpt", parts.ReportType);
        Assert.IsType<TextPart>(parts[0]);
        var attachment = Assert.IsType<MimePart>(parts[1]);
        Assert.True(attachment.ContentType.IsMimeType("application", "tlsrpt+gzip"));
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        Assert.Matches($@"^mail\.sender\.example!example\.org!{start}!{start + 86399}![0-9a-f]{{32}}\.json\.gz$", attachment.FileName);
        using var gz = new MemoryStream();
        await attachment.Content!.DecodeToAsync(gz);
        var parsed = TlsRptReport.Parse(TlsRptReportFile.Decompress(gz.ToArray()));
        Assert.Equal((new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 1, 23, 59, 59, TimeSpan.Zero)), (parsed.DateRange.Start, parsed.DateRange.End));
        Assert.Equal(("mail.sender.example", "postmaster@mail.sender.example"), (parsed.OrganizationName, parsed.ContactInfo));
        var policy = Assert.Single(parsed.Policies);
        Assert.Equal((3L, 1L), (policy.Summary.TotalSuccessfulSessionCount, policy.Summary.TotalFailureSessionCount));
        Assert.Equal(ResultType.StartTlsNotSupported, Assert.Single(policy.FailureDetails).ResultType);

        // Reported once: the counts are gone.
        Assert.Empty(await aggregator.GetPolicyDomainsAsync(day));
    }

    [Fact]
    public async Task A_temporary_dns_failure_keeps_the_counts_for_later_and_no_record_drops_them()
    {
        var (aggregator, clock) = Day();
        await RecordFailureAsync(aggregator, "example.org");
        await RecordFailureAsync(aggregator, "norecord.example");
        var ok = new TlsRptResult(PolicyType.NoPolicyFound, "allgood.example");
        ok.Add(5, 0);
        await aggregator.RecordAsync([ok]);
        clock.Advance(TimeSpan.FromDays(1));
        var resolver = new InMemoryResolver
        {
            Txt = { ["_smtp._tls.example.org."] = ["v=TLSRPTv1; rua=mailto:tlsrpt@example.org"], ["_smtp._tls.allgood.example."] = ["v=TLSRPTv1; rua=mailto:tlsrpt@allgood.example"] },
            Fail = { "txt _smtp._tls.example.org." },
        };
        var day = new DateOnly(2026, 3, 1);
        var results = await Reporter(aggregator, resolver).ReportDayAsync(day);
        Assert.Equal(
            [("allgood.example", TlsRptDomainReportStatus.NoFailures), ("example.org", TlsRptDomainReportStatus.RetryLater), ("norecord.example", TlsRptDomainReportStatus.NoRecord)],
            results.Select(r => (r.PolicyDomain, r.Status)).Order());
        Assert.Equal(["example.org"], await aggregator.GetPolicyDomainsAsync(day));

        resolver.Fail.Clear();
        // Within the claim's lease a second run (this or another worker) leaves it alone; after it, it is reported.
        Assert.Equal(TlsRptDomainReportStatus.ClaimedElsewhere, Assert.Single(await Reporter(aggregator, resolver).ReportDayAsync(day)).Status);
        clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(TlsRptDomainReportStatus.Reported, Assert.Single(await Reporter(aggregator, resolver).ReportDayAsync(day)).Status);
    }

    [Fact]
    public async Task Today_cannot_be_reported()
    {
        var (aggregator, _) = Day();
        await Assert.ThrowsAsync<ArgumentException>(() => Reporter(aggregator, new InMemoryResolver()).ReportDayAsync(aggregator.Today));
    }
}
