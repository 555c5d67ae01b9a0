using SmtpDeliver.Dane;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Tests.Dns;

/// <summary>
/// DANE reference identifiers and TLSA base domains (RFC 7672 2.2.2, 3.2.2), through the whole gathering:
/// destinations, addresses, TLSA records, names.
/// </summary>
public class DaneNamesTests
{
    private static Domain D(string s) => Domain.Parse(s);
    private static readonly TlsaRecord Ta = new(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, new byte[32]);

    /// <summary>The example of RFC 7672 3.2.2, plus an MX host whose CNAME leaves the signed zone.</summary>
    private static InMemoryResolver Resolver() => new()
    {
        AllAuthentic = true,
        Cname =
        {
            ["exchange.example.org."] = "example.com.",
            ["mx15.example.com."] = "mxbackup.example.com.",
            ["mx20.example.com."] = "mxbackup.example.net.",
            ["mx30.example.com."] = "smtp.unsigned.example.",
            ["alias.example.net."] = "plain.example.net.",
        },
        Mx =
        {
            ["example.com."] = [new("mx10.example.com.", 10), new("mx15.example.com.", 15), new("mx20.example.com.", 20), new("mx30.example.com.", 30)],
            ["insecuremx.example."] = [new("mx10.example.com.", 10)],
        },
        A =
        {
            ["mx10.example.com."] = ["127.0.0.10"],
            ["mxbackup.example.com."] = ["127.0.0.15"],
            ["mxbackup.example.net."] = ["127.0.0.20"],
            ["smtp.unsigned.example."] = ["127.0.0.30"],
            ["plain.example.net."] = ["127.0.0.40"],
        },
        Tlsa =
        {
            ["_25._tcp.mx10.example.com."] = [Ta],
            ["_25._tcp.mx15.example.com."] = [Ta],
            ["_25._tcp.mxbackup.example.net."] = [Ta],
            ["_25._tcp.mx30.example.com."] = [Ta],
            // Behind an insecure CNAME: must never be used, nor its name.
            ["_25._tcp.smtp.unsigned.example."] = [Ta],
            ["_25._tcp.plain.example.net."] = [Ta],
        },
        Inauthentic = { "mx insecuremx.example.", "ip smtp.unsigned.example.", "tlsa _25._tcp.smtp.unsigned.example.", "cname smtp.unsigned.example." },
    };

    private static async Task<(HostAddresses Ips, TlsaGathering Tlsa, IReadOnlyList<Domain> Names)> GatherAsync(InMemoryResolver r, string nextHop, string host)
    {
        var destinations = await Gather.DestinationsAsync(r, new IPDomain(D(nextHop)), default);
        Assert.Contains(destinations.Hosts, h => h.Host.ToString() == host);
        var ips = await Gather.IPsAsync(r, AddressFamilyFilter.Any, new IPDomain(D(host)), null, default);
        var tlsa = await Gather.TlsaAsync(r, D(host), destinations.ExpandedNextHopAuthentic && ips.ExpandedAuthentic, ips.ExpandedHost, default);
        return (ips, tlsa, Gather.TlsaNames(destinations, tlsa));
    }

    // Issue 11 item 4: the deliverer used to pass the MX host as the next hop and the host's (possibly
    // insecure) expansion as the expanded next hop, so exchange.example.org was never allowed. The old
    // signature is gone; the failure before the fix is shown end to end by DaneNamesDifferentialTests
    // (smtpta.dnssec.test, dn-nexthop-alias.dnssec.test).
    [Theory]
    [InlineData("mx10.example.com", "mx10.example.com")]
    [InlineData("mx15.example.com", "mx15.example.com")]
    [InlineData("mx20.example.com", "mxbackup.example.net")]
    public async Task Rfc7672_example_names_are_the_base_domain_and_the_next_hop_names(string host, string baseDomain)
    {
        var (_, tlsa, names) = await GatherAsync(Resolver(), "exchange.example.org", host);
        Assert.True(tlsa.DaneRequired);
        Assert.Equal(D(baseDomain), tlsa.BaseDomain);
        Assert.Equal([D(baseDomain), D("exchange.example.org"), D("example.com")], names);
    }

    // Issue 11 item 4: failed before the fix: a CNAME leaving the signed zone made the host "not
    // authentic", so DANE did not apply, where RFC 7672 2.2.2 (and Postfix) use the original name.
    [Fact]
    public async Task Cname_leaving_the_signed_zone_keeps_dane_at_the_original_name_only()
    {
        var (ips, tlsa, names) = await GatherAsync(Resolver(), "exchange.example.org", "mx30.example.com");
        Assert.Equal((true, false, D("smtp.unsigned.example")), (ips.Authentic, ips.ExpandedAuthentic, ips.ExpandedHost));
        Assert.True(tlsa.DaneRequired);
        Assert.Equal(D("mx30.example.com"), tlsa.BaseDomain);
        Assert.DoesNotContain(D("smtp.unsigned.example"), names);
        Assert.Equal([D("mx30.example.com"), D("exchange.example.org"), D("example.com")], names);
    }

    [Fact]
    public async Task First_cname_insecure_means_the_host_is_not_authentic()
    {
        var r = Resolver();
        r.Inauthentic.Add("cname mx20.example.com.");
        var ips = await Gather.IPsAsync(r, AddressFamilyFilter.Any, new IPDomain(D("mx20.example.com")), null, default);
        Assert.Equal((false, false), (ips.Authentic, ips.ExpandedAuthentic));
    }

    [Fact]
    public async Task Insecure_mx_leaves_the_base_domain_as_the_only_name()
    {
        var (_, tlsa, names) = await GatherAsync(Resolver(), "insecuremx.example", "mx10.example.com");
        Assert.Equal([D("mx10.example.com")], names);
        Assert.Equal(D("mx10.example.com"), tlsa.BaseDomain);
    }

    [Fact]
    public async Task Without_mx_the_original_next_hop_is_accepted_next_to_its_expansion()
    {
        var (_, _, names) = await GatherAsync(Resolver(), "alias.example.net", "plain.example.net");
        Assert.Equal([D("plain.example.net"), D("alias.example.net")], names);
    }

    [Theory]
    [InlineData(true, true, new[] { "base.example", "nexthop.example", "expanded.example" })]
    [InlineData(true, false, new[] { "base.example" })]
    [InlineData(false, true, new[] { "base.example", "nexthop.example" })]
    [InlineData(false, false, new[] { "base.example" })]
    public void Names_table(bool haveMx, bool expandedNextHopAuthentic, string[] expected) =>
        Assert.Equal(expected.Select(D), Gather.TlsaNames(haveMx, expandedNextHopAuthentic, D("nexthop.example"), D("expanded.example"), D("base.example")));

    [Fact]
    public void Names_are_not_repeated()
    {
        Assert.Equal([D("example.com")], Gather.TlsaNames(true, true, D("example.com"), D("example.com"), D("example.com")));
    }
}
