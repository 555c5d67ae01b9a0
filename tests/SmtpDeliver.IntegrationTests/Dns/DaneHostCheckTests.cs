using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;

namespace SmtpDeliver.IntegrationTests.Dns;

/// <summary>
/// The script-facing DANE check end to end: real unbound + signed zone with TLSA records for the real
/// Postfix's certificate (issue: DANE and TLSRPT, "verify DANE in scripts").
/// </summary>
public class DaneHostCheckTests
{
    private static readonly ValidatingResolver Resolver = new(TimeSpan.FromSeconds(5), ValidatingResolver.ParseServer(IntegrationEnvironment.Get("dns", "RESOLVER")));
    private static int Port => IntegrationEnvironment.GetInt("postfix", "SMTP_PORT");

    private static Task<DaneHostReport> CheckAsync(string host) =>
        DaneHostCheck.VerifyAsync(Resolver, Domain.Parse(host), Port, Domain.Parse("client.example.test"), new ClientOptions { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) });

    [Theory]
    [InlineData("smtp.dnssec.test", "3 1 1 ")]
    [InlineData("smtpta.dnssec.test", "2 0 1 ")]
    public async Task Dane_ee_and_dane_ta_records_verify_against_postfix(string host, string recordPrefix)
    {
        var r = await CheckAsync(host);
        Assert.Equal(DaneHostOutcome.Verified, r.Outcome);
        var address = Assert.Single(r.Addresses);
        Assert.StartsWith(recordPrefix, address.VerifiedRecord!.ToString(), StringComparison.Ordinal);
        Assert.NotNull(address.Tls);
    }

    [Fact]
    public async Task Mismatching_record_fails()
    {
        var r = await CheckAsync("smtpbad.dnssec.test");
        Assert.Equal(DaneHostOutcome.Failed, r.Outcome);
        Assert.False(Assert.Single(r.Addresses).Verified);
    }

    [Fact]
    public async Task Insecure_zone_is_not_applicable() =>
        Assert.Equal(DaneHostOutcome.NotApplicable, (await CheckAsync("mx.insecure.test")).Outcome);

    [Fact]
    public async Task Unusable_records_only_is_not_applicable()
    {
        var r = await CheckAsync("mxunusable.dnssec.test");
        Assert.Equal(DaneHostOutcome.NotApplicable, r.Outcome);
        Assert.Single(r.Records);
    }

    [Fact]
    public async Task Bogus_tlsa_is_a_temporary_dns_failure() =>
        Assert.Equal(DaneHostOutcome.TemporaryDnsFailure, (await CheckAsync("mxbogus.dnssec.test")).Outcome);

    [Fact]
    public async Task No_tlsa_is_not_applicable() =>
        Assert.Equal(DaneHostOutcome.NotApplicable, (await CheckAsync("mxnotlsa.dnssec.test")).Outcome);
}
