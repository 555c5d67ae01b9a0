using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

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
        DaneHostCheck.VerifyAsync(Resolver, Domain.Parse(host), new SmtpSessionOptions { EhloHostname = Domain.Parse("client.example.test"), Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) }, Port);

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

/// <summary>
/// Delivery to a domain through the whole real stack: unbound validating the signed zone, MX fallback
/// from a host nobody listens on to the Postfix host, DANE-EE verified against Postfix's certificate.
/// </summary>
public class RealStackDeliveryTests
{
    [Fact]
    public async Task Mx_fallback_then_dane_verified_delivery_through_unbound_and_postfix()
    {
        var resolver = new ValidatingResolver(TimeSpan.FromSeconds(5), ValidatingResolver.ParseServer(IntegrationEnvironment.Get("dns", "RESOLVER")));
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.example.test"),
            Port = IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"),
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(15)),
        });
        var message = System.Text.Encoding.ASCII.GetBytes("Subject: real stack\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nhello\r\n");
        var o = await deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("sender@client.example.test"),
            Recipients = [EnvelopeAddress.Parse("user@delivery.dnssec.test")],
            OpenMessage = () => new MemoryStream(message),
            Size = message.Length,
        });
        Assert.Equal(RecipientStatus.Delivered, Assert.Single(o.Recipients).Status);
        Assert.Equal(["down.dnssec.test", "smtp.dnssec.test"], o.Attempts.Select(a => a.Host.Ascii));
        Assert.Equal("dane", o.Attempts[^1].TlsStatus.ToString());
        Assert.NotNull(o.Attempts[^1].VerifiedDaneRecord);
        Assert.Equal(["tlsa", "tlsa"], o.HostResults.Select(r => r.Policy.Type));
        Assert.Equal(1, o.HostResults[^1].Summary.TotalSuccessfulSessionCount);
    }
}
