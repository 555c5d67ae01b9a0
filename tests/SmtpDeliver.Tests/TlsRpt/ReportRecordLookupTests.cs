using SmtpDeliver.Testing;
using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>The TLSRPT record of a policy domain, at _smtp._tls.&lt;domain&gt; (RFC 8460 3).</summary>
public class ReportRecordLookupTests
{
    private const string Name = "_smtp._tls.example.org.";

    private static Task<TlsRptRecordLookupResult> Lookup(InMemoryResolver resolver, string domain = "example.org") =>
        TlsRptRecordLookup.LookupAsync(resolver, domain);

    [Fact]
    public async Task One_record_among_other_txt_records_is_found()
    {
        var r = await Lookup(new InMemoryResolver { Txt = { [Name] = ["some other text", "v=TLSRPTv1; rua=mailto:tlsrpt@example.org,https://reports.example.org/tlsrpt", "v=STSv1; id=1"] } }, "Example.ORG.");
        Assert.Equal(TlsRptRecordLookupStatus.Found, r.Status);
        Assert.Equal(["mailto:tlsrpt@example.org", "https://reports.example.org/tlsrpt"], r.Record!.Rua.Select(u => u.OriginalString));
    }

    [Theory]
    [InlineData(TlsRptRecordLookupStatus.NoRecord, "v=spf1 -all")]
    [InlineData(TlsRptRecordLookupStatus.NoRecord, "v=TLSRPTv10; rua=mailto:a@example.org")]
    [InlineData(TlsRptRecordLookupStatus.MultipleRecords, "v=TLSRPTv1; rua=mailto:a@example.org", "v=TLSRPTv1; rua=mailto:b@example.org")]
    [InlineData(TlsRptRecordLookupStatus.Invalid, "v=TLSRPTv1; rua=")]
    [InlineData(TlsRptRecordLookupStatus.Invalid, "v=TLSRPTv1")]
    public async Task Records_that_do_not_make_exactly_one_valid_record_mean_no_reporting(TlsRptRecordLookupStatus expected, params string[] txt)
    {
        var r = await Lookup(new InMemoryResolver { Txt = { [Name] = [.. txt] } });
        Assert.Equal((expected, (object?)null), (r.Status, (object?)r.Record));
    }

    [Fact]
    public async Task Nxdomain_is_no_record_and_a_dns_failure_is_temporary()
    {
        Assert.Equal(TlsRptRecordLookupStatus.NoRecord, (await Lookup(new InMemoryResolver())).Status);
        var failing = new InMemoryResolver { Txt = { [Name] = ["v=TLSRPTv1; rua=mailto:a@example.org"] }, Fail = { "txt " + Name } };
        Assert.Equal(TlsRptRecordLookupStatus.TemporaryFailure, (await Lookup(failing)).Status);
    }
}
