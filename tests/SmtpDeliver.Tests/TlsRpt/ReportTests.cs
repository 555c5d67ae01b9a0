using System.Text.Json;
using SmtpDeliver.Tls;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>TLSRPT results and reports (RFC 8460 4; checklist 115–119).</summary>
public class ReportTests
{
    // The sample report of RFC 8460 appendix B, with its documentation IP addresses replaced by loopback
    // ones (project rule: no other addresses in tests).
    private const string SampleReport = """
        {
             "organization-name": "Company-X",
             "date-range": {
               "start-datetime": "2016-04-01T00:00:00Z",
               "end-datetime": "2016-04-01T23:59:59Z"
             },
             "contact-info": "sts-reporting@company-x.example",
             "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
             "policies": [{
               "policy": {
                 "policy-type": "sts",
                 "policy-string": ["version: STSv1","mode: testing",
                       "mx: *.mail.company-y.example","max_age: 86400"],
                 "policy-domain": "company-y.example",
                 "mx-host": ["*.mail.company-y.example"]
               },
               "summary": {
                 "total-successful-session-count": 5326,
                 "total-failure-session-count": 303
               },
               "failure-details": [{
                 "result-type": "certificate-expired",
                 "sending-mta-ip": "::1",
                 "receiving-mx-hostname": "mx1.mail.company-y.example",
                 "failed-session-count": 100
               }, {
                 "result-type": "starttls-not-supported",
                 "sending-mta-ip": "::1",
                 "receiving-mx-hostname": "mx2.mail.company-y.example",
                 "receiving-ip": "127.0.0.56",
                 "failed-session-count": 200,
                 "additional-information": "https://reports.company-x.example/report_info ? id = 5065427 c - 23 d3# StarttlsNotSupported "
               }, {
                 "result-type": "validation-failure",
                 "sending-mta-ip": "127.0.0.62",
                 "receiving-ip": "127.0.0.58",
                 "receiving-mx-hostname": "mx-backup.mail.company-y.example",
                 "failed-session-count": 3,
                 "failure-reason-code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
               }]
             }]
           }
        """;

    [Fact]
    public void Rfc8460_sample_report_parses_and_round_trips()
    {
        var report = TlsRptReport.Parse(SampleReport);
        Assert.Equal("Company-X", report.OrganizationName);
        Assert.Equal(new DateTimeOffset(2016, 4, 1, 23, 59, 59, TimeSpan.Zero), report.DateRange.End);
        var result = Assert.Single(report.Policies);
        Assert.Equal(("sts", "company-y.example", 4), (result.Policy.Type, result.Policy.Domain, result.Policy.Strings.Count));
        Assert.Equal((5326L, 303L), (result.Summary.TotalSuccessfulSessionCount, result.Summary.TotalFailureSessionCount));
        Assert.Equal([100L, 200L, 3L], result.FailureDetails.Select(d => d.FailedSessionCount));
        Assert.Equal("X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED", result.FailureDetails[2].FailureReasonCode);

        var again = TlsRptReport.Parse(report.ToJson());
        Assert.Equal(report.ToJson(), again.ToJson());
    }

    [Fact]
    public void Unknown_members_are_refused() =>
        Assert.Throws<JsonException>(() => TlsRptReport.Parse(SampleReport.Replace("\"contact-info\"", "\"contact-infox\"", StringComparison.Ordinal)));

    [Fact]
    public void Date_without_zone_is_accepted_as_utc()
    {
        var report = TlsRptReport.Parse(SampleReport.Replace("2016-04-01T00:00:00Z", "2016-04-01T00:00:00", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.Zero, report.DateRange.Start.Offset);
    }

    [Fact]
    public void Json_names_are_exact_and_helo_is_omitted_when_empty()
    {
        var r = new TlsRptResult(PolicyType.Tlsa, "mx.example");
        r.Add(0, 1, FailureDetails.Of(ResultType.ValidationFailure, "dane-no-match"));
        var json = JsonSerializer.Serialize(r, TlsRptJsonContext.Default.TlsRptResult);
        foreach (var name in new[] { "\"policy-type\":\"tlsa\"", "\"policy-string\":[]", "\"policy-domain\":\"mx.example\"", "\"mx-host\":[]",
            "\"total-successful-session-count\":0", "\"total-failure-session-count\":1", "\"result-type\":\"validation-failure\"", "\"sending-mta-ip\":\"\"",
            "\"receiving-mx-hostname\":\"\"", "\"receiving-ip\":\"\"", "\"failed-session-count\":1", "\"additional-information\":\"\"", "\"failure-reason-code\":\"dane-no-match\"" })
        {
            Assert.Contains(name, json, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("receiving-mx-helo", json, StringComparison.Ordinal);
        Assert.Contains("\"receiving-mx-helo\":\"mx\"", JsonSerializer.Serialize(
            new TlsRptResult(PolicyType.Tlsa, "x").Also(x => x.Add(0, 0, FailureDetails.Of("a", "b") with { ReceivingMxHelo = "mx" })), TlsRptJsonContext.Default.TlsRptResult), StringComparison.Ordinal);
    }

    [Fact]
    public void Add_sums_clamps_at_zero_and_merges_equal_details_keeping_order()
    {
        var r = new TlsRptResult(PolicyType.NoPolicyFound, "example.org");
        var a = FailureDetails.Of(ResultType.StartTlsNotSupported, "");
        var b = FailureDetails.Of(ResultType.CertificateExpired, "");
        r.Add(2, 1, a);
        r.Add(-5, 0, b, a with { FailedSessionCount = 2 });
        Assert.Equal((0L, 1L), (r.Summary.TotalSuccessfulSessionCount, r.Summary.TotalFailureSessionCount));
        Assert.Equal([(ResultType.StartTlsNotSupported, 3L), (ResultType.CertificateExpired, 1L)], r.FailureDetails.Select(d => (d.ResultType, d.FailedSessionCount)));
        r.Add(0, 0, a with { ReceivingIp = "127.0.0.1" });
        Assert.Equal(3, r.FailureDetails.Count);
    }

    [Fact]
    public void Merge_combines_results_with_equal_policies_and_appends_others()
    {
        var report = new TlsRptReport();
        var p1 = new TlsRptResultPolicy { Type = PolicyType.Tlsa, Domain = "mx.example", Strings = ["3 1 1 00"] };
        var one = new TlsRptResult(p1);
        one.Add(1, 0);
        var two = new TlsRptResult(p1 with { Strings = ["3 1 1 00"] });
        two.Add(2, 1, FailureDetails.Of(ResultType.ValidationFailure, "dane-no-match"));
        var other = new TlsRptResult(p1 with { Strings = ["3 1 1 01"] });
        other.Add(5, 0);
        report.Merge(one, two, other);
        Assert.Equal(2, report.Policies.Count);
        Assert.Equal((3L, 1L), (report.Policies[0].Summary.TotalSuccessfulSessionCount, report.Policies[0].Summary.TotalFailureSessionCount));
        Assert.Single(report.Policies[0].FailureDetails);
        Assert.Equal(5, report.Policies[1].Summary.TotalSuccessfulSessionCount);
    }

    [Theory]
    [InlineData(70, "alert-70-protocol-version-not-supported")]
    [InlineData(42, "alert-42-bad-certificate")]
    [InlineData(116, "alert-116-certificate-required")]
    [InlineData(200, "alert-200")]
    public void Alert_names(int alert, string expected) => Assert.Equal(expected, TlsAlert.Format(alert));
}

internal static class TestExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
