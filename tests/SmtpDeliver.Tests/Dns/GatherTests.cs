using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Tests.Dns;

/// <summary>
/// mox's TestGatherDestinations, TestGatherIPs, TestGatherTLSA and TestGatherTLSANames (inventory 8.3)
/// against the in-memory resolver. Addresses are loopback ones instead of mox's documentation ranges.
/// </summary>
public class GatherTests
{
    private static Domain D(string s) => Domain.Parse(s);
    private static IPDomain H(string s) => IPAddress.TryParse(s, out var ip) ? new IPDomain(ip) : new IPDomain(D(s));
    private static HostPref[] Prefs(int pref, params string[] names) => names.Select(n => new HostPref(H(n), pref)).ToArray();

    private static InMemoryResolver DestinationsResolver()
    {
        var r = new InMemoryResolver
        {
            Mx =
            {
                ["basic.example."] = [new("mail.basic.example.", 10)],
                ["multimx.example."] = [new("mail1.multimx.example.", 10), new("mail2.multimx.example.", 10)],
                ["nullmx.example."] = [new(".", 10)],
                ["temperror-mx.example."] = [new("absent.example.", 10)],
            },
            A = { ["mail.basic.example."] = ["127.0.0.1"], ["justhost.example."] = ["127.0.0.1"], ["temperror-a.example."] = ["127.0.0.1"] },
            Aaaa = { ["justhost6.example."] = ["::1"] },
            Cname =
            {
                ["cname.example."] = "basic.example.",
                ["cname-to-inauthentic.example."] = "cnameinauthentic.example.",
                ["cnameinauthentic.example."] = "basic.example.",
                ["cnameloop.example."] = "cnameloop2.example.",
                ["cnameloop2.example."] = "cnameloop.example.",
                ["danglingcname.example."] = "absent.example.",
                ["temperror-cname.example."] = "absent.example.",
            },
            Fail = { "mx temperror-mx.example.", "host temperror-a.example.", "cname temperror-cname.example." },
            Inauthentic = { "cname cnameinauthentic.example." },
        };
        for (var i = 0; i <= 16; i++)
        {
            r.Cname[$"cnamelimit{i}.example."] = $"cnamelimit{i + 1}.example.";
        }
        return r;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Destinations(bool authentic)
    {
        var r = DestinationsResolver();
        r.AllAuthentic = authentic;
        async Task Ok(string nextHop, HostPref[] hosts, string expanded)
        {
            var d = await Gather.DestinationsAsync(r, H(nextHop), default);
            // Equal preferences come out in random order (RFC 5321 5.1, see MxShuffleTests).
            Assert.Equal(hosts.OrderBy(h => h.Preference).ThenBy(h => h.Host.ToString(), StringComparer.Ordinal), d.Hosts.OrderBy(h => h.Preference).ThenBy(h => h.Host.ToString(), StringComparer.Ordinal));
            Assert.Equal(hosts.Select(h => h.Preference), d.Hosts.Select(h => h.Preference));
            Assert.Equal(D(expanded), d.ExpandedNextHop);
            Assert.Equal((authentic, authentic), (d.OriginalNextHopAuthentic, d.ExpandedNextHopAuthentic));
        }
        async Task Fails(string nextHop, GatherError error)
        {
            var e = await Assert.ThrowsAsync<GatherException>(() => Gather.DestinationsAsync(r, H(nextHop), default));
            Assert.Equal(error, e.Error);
        }
        await Ok("basic.example", Prefs(10, "mail.basic.example"), "basic.example");
        await Ok("multimx.example", Prefs(10, "mail1.multimx.example", "mail2.multimx.example"), "multimx.example");
        await Ok("justhost.example", Prefs(-1, "justhost.example"), "justhost.example");
        await Ok("justhost6.example", Prefs(-1, "justhost6.example"), "justhost6.example");
        await Ok("cname.example", Prefs(10, "mail.basic.example"), "basic.example");
        await Ok("absent.example", Prefs(-1, "absent.example"), "absent.example");
        await Ok("danglingcname.example", Prefs(-1, "absent.example"), "absent.example");
        await Fails("cnamelimit1.example", GatherError.CnameLimit);
        await Fails("cnameloop.example", GatherError.CnameLoop);
        await Fails("nullmx.example", GatherError.NoMail);
        await Fails("temperror-mx.example", GatherError.Dns);
        await Fails("temperror-cname.example", GatherError.Dns);
    }

    [Fact]
    public async Task Destinations_ip_literal_and_authentic_flags_through_cnames()
    {
        var r = DestinationsResolver();
        r.AllAuthentic = true;
        var ip = await Gather.DestinationsAsync(r, H("127.0.0.1"), default);
        Assert.Equal(Prefs(-1, "127.0.0.1"), ip.Hosts);
        Assert.True(ip.ExpandedNextHop.IsEmpty);
        Assert.False(ip.OriginalNextHopAuthentic || ip.ExpandedNextHopAuthentic);

        var inauthentic = await Gather.DestinationsAsync(r, H("cnameinauthentic.example"), default);
        Assert.Equal((false, false, D("basic.example")), (inauthentic.OriginalNextHopAuthentic, inauthentic.ExpandedNextHopAuthentic, inauthentic.ExpandedNextHop));
        var toInauthentic = await Gather.DestinationsAsync(r, H("cname-to-inauthentic.example"), default);
        Assert.Equal((true, false), (toInauthentic.OriginalNextHopAuthentic, toInauthentic.ExpandedNextHopAuthentic));
        Assert.Equal(Prefs(10, "mail.basic.example"), toInauthentic.Hosts);
    }

    [Fact]
    public async Task Null_mx_is_permanent()
    {
        var e = await Assert.ThrowsAsync<GatherException>(() => Gather.DestinationsAsync(DestinationsResolver(), H("nullmx.example"), default));
        Assert.True(e.Permanent);
    }

    private static InMemoryResolver IPsResolver() => new()
    {
        A = { ["host1.example."] = ["127.0.0.1"], ["host2.example."] = ["127.0.0.2"], ["temperror-a.example."] = ["127.0.0.3"] },
        Aaaa = { ["host2.example."] = ["::1"] },
        Cname =
        {
            ["cname1.example."] = "host1.example.",
            ["cname-to-inauthentic.example."] = "cnameinauthentic.example.",
            ["cnameinauthentic.example."] = "host1.example.",
            ["cnameloop.example."] = "cnameloop2.example.",
            ["cnameloop2.example."] = "cnameloop.example.",
            ["danglingcname.example."] = "absent.example.",
            ["temperror-cname.example."] = "absent.example.",
        },
        Fail = { "ip temperror-a.example.", "cname temperror-cname.example." },
        Inauthentic = { "cname cnameinauthentic.example." },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IPs(bool authentic)
    {
        var r = IPsResolver();
        r.AllAuthentic = authentic;
        async Task Ok(string host, AddressFamilyFilter family, bool expAuthentic, bool expExpanded, string expandedHost, params string[] ips)
        {
            var a = await Gather.IPsAsync(r, family, H(host), null, default);
            Assert.Equal(ips.Select(IPAddress.Parse), a.Addresses);
            Assert.Equal((expAuthentic, expExpanded, D(expandedHost)), (a.Authentic, a.ExpandedAuthentic, a.ExpandedHost));
        }
        async Task Fails(string host, GatherError error, AddressFamilyFilter family = AddressFamilyFilter.Any) =>
            Assert.Equal(error, (await Assert.ThrowsAsync<GatherException>(() => Gather.IPsAsync(r, family, H(host), null, default))).Error);

        await Ok("host1.example", AddressFamilyFilter.Any, authentic, authentic, "host1.example", "127.0.0.1");
        await Ok("host1.example", AddressFamilyFilter.IPv4, authentic, authentic, "host1.example", "127.0.0.1");
        await Fails("host1.example", GatherError.Dns, AddressFamilyFilter.IPv6);
        await Ok("host2.example", AddressFamilyFilter.Any, authentic, authentic, "host2.example", "127.0.0.2", "::1");
        await Ok("host2.example", AddressFamilyFilter.IPv4, authentic, authentic, "host2.example", "127.0.0.2");
        await Ok("host2.example", AddressFamilyFilter.IPv6, authentic, authentic, "host2.example", "::1");
        await Ok("cname-to-inauthentic.example", AddressFamilyFilter.Any, authentic, false, "host1.example", "127.0.0.1");
        await Fails("cnameloop.example", GatherError.CnameLimit);
        await Fails("bogus.example", GatherError.Dns);
        await Fails("danglingcname.example", GatherError.Dns);
        await Fails("temperror-a.example", GatherError.Dns);
        await Fails("temperror-cname.example", GatherError.Dns);
    }

    [Fact]
    public async Task IPs_authentic_flags_through_inauthentic_cnames()
    {
        var r = IPsResolver();
        r.AllAuthentic = true;
        var a = await Gather.IPsAsync(r, AddressFamilyFilter.Any, H("cnameinauthentic.example"), null, default);
        Assert.Equal((false, false, D("host1.example")), (a.Authentic, a.ExpandedAuthentic, a.ExpandedHost));
        var b = await Gather.IPsAsync(r, AddressFamilyFilter.Any, H("cname-to-inauthentic.example"), null, default);
        Assert.Equal((true, false, D("host1.example")), (b.Authentic, b.ExpandedAuthentic, b.ExpandedHost));
    }

    [Fact]
    public async Task IPs_not_found_and_temporary_failure_are_told_apart()
    {
        var r = IPsResolver();
        Assert.Equal(DnsStatus.NotFound, (await Assert.ThrowsAsync<GatherException>(() => Gather.IPsAsync(r, AddressFamilyFilter.Any, H("bogus.example"), null, default))).DnsStatus);
        Assert.Equal(DnsStatus.TemporaryFailure, (await Assert.ThrowsAsync<GatherException>(() => Gather.IPsAsync(r, AddressFamilyFilter.Any, H("temperror-a.example"), null, default))).DnsStatus);
    }

    private static readonly TlsaRecord Record0 = new(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32]);
    private static readonly TlsaRecord Record1 = new(TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha256, new byte[32]);

    private static InMemoryResolver TlsaResolver() => new()
    {
        AllAuthentic = true,
        Tlsa =
        {
            ["_25._tcp.host0.example."] = [Record0],
            ["_25._tcp.host1.example."] = [Record1],
            ["_25._tcp.inauthentic.example."] = [Record1],
            ["_25._tcp.temperror-cname.example."] = [Record1],
        },
        Cname =
        {
            ["_25._tcp.cname.example."] = "_25._tcp.host1.example.",
            ["_25._tcp.cnameloop.example."] = "_25._tcp.cnameloop2.example.",
            ["_25._tcp.cnameloop2.example."] = "_25._tcp.cnameloop.example.",
            ["_25._tcp.cname-to-inauthentic.example."] = "_25._tcp.cnameinauthentic.example.",
            ["_25._tcp.cnameinauthentic.example."] = "_25._tcp.host1.example.",
            ["_25._tcp.danglingcname.example."] = "_25._tcp.absent.example.",
        },
        Fail = { "cname _25._tcp.temperror-cname.example." },
        Inauthentic = { "cname _25._tcp.cnameinauthentic.example.", "tlsa _25._tcp.inauthentic.example." },
    };

    [Theory]
    [InlineData("host1.example", false, "host1.example", true, 1, "host1.example")]
    [InlineData("host1.example", true, "host1.example", true, 1, "host1.example")]
    [InlineData("host0.example", true, "host1.example", true, 1, "host1.example")]
    [InlineData("host0.example", false, "host1.example", true, 0, "host0.example")]
    [InlineData("host0.example", true, "cname.example", true, 1, "cname.example")]
    [InlineData("host0.example", false, "cname.example", true, 0, "host0.example")]
    [InlineData("host0.example", false, "inauthentic.example", true, 0, "host0.example")]
    [InlineData("inauthentic.example", false, "inauthentic.example", false, -1, "inauthentic.example")]
    [InlineData("host1.example", true, "cname-to-inauthentic.example", true, 1, "host1.example")]
    [InlineData("host1.example", true, "danglingcname.example", true, 1, "host1.example")]
    [InlineData("danglingcname.example", true, "danglingcname.example", false, -1, "danglingcname.example")]
    public async Task Tlsa(string host, bool expandedAuthentic, string expandedHost, bool daneRequired, int record, string baseDomain)
    {
        var t = await Gather.TlsaAsync(TlsaResolver(), D(host), expandedAuthentic, D(expandedHost), default);
        Assert.Equal(daneRequired, t.DaneRequired);
        Assert.Equal(record switch { 0 => [Record0], 1 => [Record1], _ => Array.Empty<TlsaRecord>() }, t.Records);
        Assert.Equal(D(baseDomain), t.BaseDomain);
    }

    [Theory]
    [InlineData("cnameloop.example", nameof(GatherError.CnameLimit))]
    [InlineData("temperror-cname.example", nameof(GatherError.Dns))]
    public async Task Tlsa_failures_mean_dane_may_apply_and_cannot_be_checked(string host, string error) =>
        Assert.Equal(Enum.Parse<GatherError>(error), (await Assert.ThrowsAsync<GatherException>(() => Gather.TlsaAsync(TlsaResolver(), D(host), false, D(host), default))).Error);

    [Fact]
    public async Task Tlsa_unusable_records_are_filtered_but_dane_still_applies()
    {
        var r = TlsaResolver();
        r.Tlsa["_25._tcp.pkix.example."] = [new TlsaRecord(TlsaUsage.PkixEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32])];
        var t = await Gather.TlsaAsync(r, D("pkix.example"), true, D("pkix.example"), default);
        Assert.True(t.DaneRequired);
        Assert.Empty(t.Records);
    }

    // Tlsa_names (mox's TestGatherTLSANames) moved to DaneNamesTests: mox's list left out the TLSA base
    // domain after an insecure CNAME chain and named the next hop after an insecure MX (RFC 7672 3.2.2).
}
