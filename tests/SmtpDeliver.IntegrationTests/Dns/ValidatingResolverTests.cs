using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

namespace SmtpDeliver.IntegrationTests.Dns;

/// <summary>
/// Gathering through DnsClient against a real validating resolver (unbound) in front of nsd serving a
/// DNSSEC-signed zone and an unsigned one (issue: DNS gathering).
/// </summary>
public class ValidatingResolverTests
{
    private static readonly ValidatingResolver Resolver = new(TimeSpan.FromSeconds(5), ValidatingResolver.ParseServer(IntegrationEnvironment.Get("dns", "RESOLVER")));
    private static Domain D(string s) => Domain.Parse(s);

    [Fact]
    public async Task Signed_mx_is_authentic()
    {
        var d = await Gather.DestinationsAsync(Resolver, new IPDomain(D("dnssec.test")), default);
        Assert.True(d.HaveMx);
        Assert.Equal([new HostPref(new IPDomain(D("mx.dnssec.test")), 10)], d.Hosts);
        Assert.True(d.OriginalNextHopAuthentic && d.ExpandedNextHopAuthentic);
    }

    [Fact]
    public async Task Unsigned_mx_is_not_authentic()
    {
        var d = await Gather.DestinationsAsync(Resolver, new IPDomain(D("insecure.test")), default);
        Assert.Equal([new HostPref(new IPDomain(D("mx.insecure.test")), 10)], d.Hosts);
        Assert.False(d.OriginalNextHopAuthentic || d.ExpandedNextHopAuthentic);
    }

    [Fact]
    public async Task No_mx_gives_the_implicit_mx_with_an_authentic_denial()
    {
        var d = await Gather.DestinationsAsync(Resolver, new IPDomain(D("nomx.dnssec.test")), default);
        Assert.False(d.HaveMx);
        Assert.Equal([new HostPref(new IPDomain(D("nomx.dnssec.test")), -1)], d.Hosts);
        Assert.True(d.ExpandedNextHopAuthentic);
    }

    [Fact]
    public async Task Null_mx_is_a_permanent_no_mail_error()
    {
        var e = await Assert.ThrowsAsync<GatherException>(() => Gather.DestinationsAsync(Resolver, new IPDomain(D("nullmx.dnssec.test")), default));
        Assert.Equal((GatherError.NoMail, true), (e.Error, e.Permanent));
    }

    [Fact]
    public async Task Cnamed_mx_host_resolves_through_the_cname_authentically()
    {
        var d = await Gather.DestinationsAsync(Resolver, new IPDomain(D("cnamemx.dnssec.test")), default);
        var host = d.Hosts[0].Host;
        Assert.Equal(D("mxalias.dnssec.test"), host.Domain);
        var ips = await Gather.IPsAsync(Resolver, AddressFamilyFilter.IPv4, host, null, default);
        Assert.Equal((true, true, D("mx.dnssec.test")), (ips.Authentic, ips.ExpandedAuthentic, ips.ExpandedHost));
        Assert.Equal([IPAddress.Parse("127.0.1.10")], ips.Addresses);
        // RFC 7672 2.2.2: TLSA at the expanded name first.
        var tlsa = await Gather.TlsaAsync(Resolver, host.Domain, ips.ExpandedAuthentic, ips.ExpandedHost, default);
        Assert.Equal((true, D("mx.dnssec.test")), (tlsa.DaneRequired, tlsa.BaseDomain));
        Assert.Equal([TlsaRecord.Parse(IntegrationEnvironment.Get("dns", "TLSA_USABLE"))], tlsa.Records);
    }

    [Theory]
    [InlineData("mx.dnssec.test", "TLSA_USABLE", true, 1)]
    [InlineData("mxmismatch.dnssec.test", "TLSA_MISMATCH", true, 1)]
    [InlineData("mxunusable.dnssec.test", "TLSA_UNUSABLE", true, 0)]
    [InlineData("mxnotlsa.dnssec.test", "", false, 0)]
    [InlineData("mx.insecure.test", "", false, 0)]
    public async Task Tlsa_records(string host, string envKey, bool daneRequired, int usable)
    {
        var t = await Gather.TlsaAsync(Resolver, D(host), true, D(host), default);
        Assert.Equal(daneRequired, t.DaneRequired);
        Assert.Equal(usable, t.Records.Count);
        if (usable > 0)
        {
            Assert.Equal(TlsaRecord.Parse(IntegrationEnvironment.Get("dns", envKey)), t.Records[0]);
        }
    }

    [Fact]
    public async Task Insecure_zone_has_tlsa_records_that_are_ignored()
    {
        var raw = await Resolver.LookupTlsaAsync("_25._tcp.mx.insecure.test.", default);
        Assert.Equal((DnsStatus.Success, false), (raw.Status, raw.Authentic));
        Assert.Single(raw.Records);
    }

    [Fact]
    public async Task Broken_signature_is_a_temporary_failure_never_no_records()
    {
        var raw = await Resolver.LookupTlsaAsync("_25._tcp.mxbogus.dnssec.test.", default);
        Assert.Equal(DnsStatus.TemporaryFailure, raw.Status);
        var e = await Assert.ThrowsAsync<GatherException>(() => Gather.TlsaAsync(Resolver, D("mxbogus.dnssec.test"), true, D("mxbogus.dnssec.test"), default));
        Assert.Equal((GatherError.Dns, false, DnsStatus.TemporaryFailure), (e.Error, e.Permanent, e.DnsStatus));
    }

    [Fact]
    public async Task Nonexistent_name_is_an_authentic_not_found()
    {
        var r = await Resolver.LookupIPAsync(AddressFamilyFilter.Any, "absent.dnssec.test.", default);
        Assert.Equal((DnsStatus.NotFound, true), (r.Status, r.Authentic));
    }

    [Fact]
    public async Task Unreachable_resolver_is_a_temporary_failure()
    {
        var dead = new ValidatingResolver(TimeSpan.FromMilliseconds(300), new IPEndPoint(IPAddress.Loopback, 20059));
        var r = await dead.LookupMxAsync("dnssec.test.", default);
        Assert.Equal(DnsStatus.TemporaryFailure, r.Status);
    }
}
