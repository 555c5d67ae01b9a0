using System.Net.Sockets;
using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;

namespace SmtpDeliver.Dns;

/// <summary>Where to deliver for a next hop, from <see cref="Gather.DestinationsAsync"/>.</summary>
/// <param name="HaveMx">True when the hosts come from MX records.</param>
/// <param name="OriginalNextHopAuthentic">True when the lookups for the next hop itself were DNSSEC-authentic.</param>
/// <param name="ExpandedNextHopAuthentic">True when all lookups, through CNAMEs, were authentic.</param>
/// <param name="ExpandedNextHop">The next hop after CNAME expansion; empty for an IP next hop.</param>
/// <param name="Hosts">The hosts in preference order, in random order within a preference (RFC 5321 5.1).</param>
internal sealed record Destinations(bool HaveMx, bool OriginalNextHopAuthentic, bool ExpandedNextHopAuthentic, Domain ExpandedNextHop, IReadOnlyList<HostPref> Hosts)
{
    /// <summary>The next hop as given (the recipient domain), before CNAME expansion; empty for an IP next hop.</summary>
    public Domain NextHop { get; init; }
}

/// <summary>The addresses of a host, from <see cref="Gather.IPsAsync"/>.</summary>
/// <param name="Authentic">True when the first answer for the host name was authentic (RFC 7672 2.2.2): its
/// address records, or, when it is an alias, its first CNAME, wherever the CNAME chain leads.</param>
/// <param name="ExpandedAuthentic">True when all lookups, through CNAMEs, were authentic.</param>
/// <param name="ExpandedHost">The host after CNAME expansion; empty for an IP host.</param>
/// <param name="Addresses">The addresses in the order to dial.</param>
/// <param name="DualStack">True when both IPv4 and IPv6 addresses exist.</param>
internal sealed record HostAddresses(bool Authentic, bool ExpandedAuthentic, Domain ExpandedHost, IReadOnlyList<IPAddress> Addresses, bool DualStack);

/// <summary>The TLSA records for a host, from <see cref="Gather.TlsaAsync"/>.</summary>
/// <param name="DaneRequired">True when DANE applies: authentic TLSA records exist (even if none is usable).</param>
/// <param name="Records">The usable records (RFC 7672 3.1); may be empty while <paramref name="DaneRequired"/> is true.</param>
/// <param name="BaseDomain">The TLSA base domain the records were found at (RFC 7672 2.2.2), used as the name to verify.</param>
internal sealed record TlsaGathering(bool DaneRequired, IReadOnlyList<TlsaRecord> Records, Domain BaseDomain)
{
    /// <summary>All authentic records found, usable or not.</summary>
    public IReadOnlyList<TlsaRecord> AllRecords { get; init; } = Records;
}

/// <summary>
/// Gathering for delivery (RFC 5321 5.1, RFC 7672 2): MX hosts of a domain, addresses of a host, TLSA
/// records of a host, each with the DNSSEC authenticity that decides whether DANE applies.
/// </summary>
internal static class Gather
{
    private const int MaxDomainCnames = 16;
    private const int MaxHostCnames = 10;
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The hosts to deliver to for a next hop: its MX hosts (following CNAMEs of the domain), the domain
    /// itself as implicit MX when it has no MX records, or the IP itself.
    /// </summary>
    /// <param name="resolver">The resolver.</param>
    /// <param name="nextHop">The next hop: the recipient domain, or an IP.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <param name="random">Orders hosts of equal preference (RFC 5321 5.1); <see cref="Random.Shared"/> when <c>null</c>.</param>
    /// <exception cref="GatherException">CNAME loop or limit, DNS failure (transient), null MX or malformed MX host (permanent).</exception>
    public static async Task<Destinations> DestinationsAsync(IDnsResolver resolver, IPDomain nextHop, CancellationToken cancellationToken, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (nextHop.IP is not null)
        {
            return new Destinations(false, false, false, default, [new HostPref(nextHop, -1)]);
        }
        bool origAuthentic = true, expandedAuthentic = true;
        var domain = nextHop.Domain;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; ; i++)
        {
            if (!seen.Add(domain.Ascii))
            {
                throw new GatherException(GatherError.CnameLoop, false, $"cname loop for recipient domain {nextHop.Domain}: {domain} seen before");
            }
            if (i == MaxDomainCnames)
            {
                throw new GatherException(GatherError.CnameLimit, false, $"too many cname records for recipient domain {nextHop.Domain}, last {domain}");
            }
            var cname = await WithTimeout(ct => resolver.LookupCnameAsync(domain.Ascii + ".", ct), cancellationToken).ConfigureAwait(false);
            origAuthentic &= i > 0 || cname.Authentic;
            expandedAuthentic &= cname.Authentic;
            if (cname.Status == DnsStatus.TemporaryFailure)
            {
                throw new GatherException(GatherError.Dns, false, $"dns lookup error: cname for {domain}: {cname.Error}", cname.Status);
            }
            if (cname.Status == DnsStatus.Success && !string.Equals(cname.Records[0], domain.Ascii + ".", StringComparison.OrdinalIgnoreCase))
            {
                if (!Domain.TryParse(cname.Records[0].TrimEnd('.'), out var target))
                {
                    throw new GatherException(GatherError.Dns, false, $"dns lookup error: invalid cname target {cname.Records[0]} for {domain}");
                }
                domain = target;
                continue;
            }

            var mx = await WithTimeout(ct => resolver.LookupMxAsync(domain.Ascii + ".", ct), cancellationToken).ConfigureAwait(false);
            origAuthentic &= i > 0 || mx.Authentic;
            expandedAuthentic &= mx.Authentic;
            if (mx.Status == DnsStatus.NotFound)
            {
                // RFC 5321 5.1: no MX records, the domain itself is the implicit MX.
                return new Destinations(false, origAuthentic, expandedAuthentic, domain, [new HostPref(new IPDomain(domain), -1)]) { NextHop = nextHop.Domain };
            }
            if (mx.Status == DnsStatus.TemporaryFailure)
            {
                throw new GatherException(GatherError.Dns, false, $"dns lookup error: mx for {domain}: {mx.Error}", mx.Status);
            }
            if (mx.Records is [{ Host: "." }])
            {
                // RFC 7505 3: a null MX means the domain accepts no mail.
                throw new GatherException(GatherError.NoMail, true, $"domain {domain} does not accept email, as its single mx record \".\" says");
            }
            var hosts = new List<HostPref>(mx.Records.Count);
            // RFC 5321 5.1: lowest preference first; hosts of equal preference in random order.
            var rng = random ?? Random.Shared;
            var shuffled = mx.Records.ToArray();
            rng.Shuffle(shuffled);
            foreach (var record in shuffled.OrderBy(r => r.Preference))
            {
                Domain host;
                try
                {
                    host = Domain.ParseLax(record.Host.TrimEnd('.'));
                }
                catch (FormatException e)
                {
                    throw new GatherException(GatherError.Dns, true, $"invalid host name in mx record {record.Host}: {e.Message}");
                }
                hosts.Add(new HostPref(new IPDomain(host), record.Preference));
            }
            return new Destinations(true, origAuthentic, expandedAuthentic, domain, hosts) { NextHop = nextHop.Domain };
        }
    }

    /// <summary>
    /// The addresses of a host, following its CNAMEs. When the host was dialed before
    /// (<paramref name="dialedIPs"/>), addresses of the other family come first, and the address dialed
    /// last is tried again first if it was the only one of its family tried so far (a greylisting server
    /// wants the same client address again).
    /// </summary>
    /// <exception cref="GatherException">CNAME limit or DNS failure, including no addresses at all.</exception>
    public static async Task<HostAddresses> IPsAsync(IDnsResolver resolver, AddressFamilyFilter family, IPDomain host, IReadOnlyDictionary<string, List<IPAddress>>? dialedIPs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (host.IP is not null)
        {
            return new HostAddresses(false, false, default, [host.IP], false);
        }
        bool authentic = true, expandedAuthentic = true, isAlias = false;
        var name = host.Domain.Ascii + ".";
        for (var i = 0; ; i++)
        {
            var cname = await WithTimeout(ct => resolver.LookupCnameAsync(name, ct), cancellationToken).ConfigureAwait(false);
            if (i == 0)
            {
                authentic = cname.Authentic;
            }
            expandedAuthentic &= cname.Authentic;
            if (cname.Status == DnsStatus.NotFound)
            {
                break;
            }
            if (cname.Status == DnsStatus.TemporaryFailure)
            {
                throw new GatherException(GatherError.Dns, false, $"looking up cname for {name}: {cname.Error}", cname.Status);
            }
            var target = cname.Records[0].TrimEnd('.') + ".";
            if (string.Equals(target, name, StringComparison.OrdinalIgnoreCase))
            {
                break;
            }
            isAlias = true;
            if (i > MaxHostCnames)
            {
                throw new GatherException(GatherError.CnameLimit, false, $"too many cname records for host {host}");
            }
            name = target;
        }
        Domain expanded;
        if (name == host.Domain.Ascii + ".")
        {
            expanded = host.Domain;
        }
        else if (!Domain.TryParse(name.TrimEnd('.'), out expanded))
        {
            throw new GatherException(GatherError.Dns, false, $"invalid cname-expanded host name {name}");
        }
        var ips = await WithTimeout(ct => resolver.LookupIPAsync(family, name, ct), cancellationToken).ConfigureAwait(false);
        // RFC 7672 2.2.2: for an alias, the first CNAME decides whether the host name itself is secure;
        // a chain that leaves the signed zone later still has the original name as TLSA base domain.
        // Without an alias, the address records are the first answer.
        if (!isAlias)
        {
            authentic &= ips.Authentic;
        }
        expandedAuthentic &= ips.Authentic;
        if (ips.Status != DnsStatus.Success || ips.Records.Count == 0)
        {
            throw new GatherException(GatherError.Dns, false, $"looking up addresses of {name}: {ips.Error}", ips.Status == DnsStatus.Success ? DnsStatus.NotFound : ips.Status);
        }
        var addresses = ips.Records.ToList();
        var dualStack = addresses.Any(a => a.AddressFamily == AddressFamily.InterNetwork) && addresses.Any(a => a.AddressFamily == AddressFamily.InterNetworkV6);
        if (dialedIPs is not null && dialedIPs.TryGetValue(host.ToString(), out var previous) && previous.Count > 0)
        {
            addresses = OrderAfterFailure(addresses, previous);
        }
        return new HostAddresses(authentic, expandedAuthentic, expanded, addresses, dualStack);
    }

    private static List<IPAddress> OrderAfterFailure(List<IPAddress> addresses, List<IPAddress> previous)
    {
        var last = previous[^1];
        var lastFamily = last.AddressFamily;
        var preferLast = previous.Count(p => p.AddressFamily == lastFamily) == 1;
        var otherFamily = addresses.Where(a => a.AddressFamily != lastFamily);
        var sameFamily = addresses.Where(a => a.AddressFamily == lastFamily);
        if (preferLast)
        {
            sameFamily = sameFamily.Where(a => a.Equals(last)).Concat(sameFamily.Where(a => !a.Equals(last)));
        }
        return [.. otherFamily, .. sameFamily];
    }

    /// <summary>
    /// The TLSA records for an MX host (RFC 7672 2.2): at the CNAME-expanded host name first when that
    /// expansion was authentic, falling back to the original name when the expanded one has none; usable
    /// records only. Not authentic answers mean DANE does not apply.
    /// </summary>
    /// <exception cref="GatherException">The lookups failed: DANE may apply but cannot be checked, so delivery must wait.</exception>
    public static async Task<TlsaGathering> TlsaAsync(IDnsResolver resolver, Domain host, bool expandedAuthentic, Domain expandedHost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        var baseDomain = host;
        IReadOnlyList<TlsaRecord> records;
        if (host == expandedHost || !expandedAuthentic)
        {
            records = await LookupTlsaFollowingCnamesAsync(resolver, host, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            baseDomain = expandedHost;
            records = await LookupTlsaFollowingCnamesAsync(resolver, expandedHost, cancellationToken).ConfigureAwait(false);
            if (records.Count == 0)
            {
                baseDomain = host;
                records = await LookupTlsaFollowingCnamesAsync(resolver, host, cancellationToken).ConfigureAwait(false);
            }
        }
        if (records.Count == 0)
        {
            return new TlsaGathering(false, [], baseDomain);
        }
        return new TlsaGathering(true, records.Where(r => r.IsUsableForSmtp).ToList(), baseDomain) { AllRecords = records };
    }

    private static async Task<IReadOnlyList<TlsaRecord>> LookupTlsaFollowingCnamesAsync(IDnsResolver resolver, Domain host, CancellationToken cancellationToken)
    {
        var name = $"_25._tcp.{host.Ascii}.";
        for (var i = 0; ; i++)
        {
            var cname = await WithTimeout(ct => resolver.LookupCnameAsync(name, ct), cancellationToken).ConfigureAwait(false);
            if (cname.Status == DnsStatus.NotFound)
            {
                if (!cname.Authentic)
                {
                    // RFC 7672 2.2.1: an insecure answer means no DANE for this host.
                    return [];
                }
                break;
            }
            if (cname.Status == DnsStatus.TemporaryFailure)
            {
                throw new GatherException(GatherError.Dns, false, $"looking up cname for tlsa base domain {name}: {cname.Error}", cname.Status);
            }
            if (!cname.Authentic)
            {
                return [];
            }
            if (i == MaxHostCnames)
            {
                throw new GatherException(GatherError.CnameLimit, false, $"too many cname records for tlsa name of {host}");
            }
            name = cname.Records[0].TrimEnd('.') + ".";
        }
        var tlsa = await WithTimeout(ct => resolver.LookupTlsaAsync(name, ct), cancellationToken).ConfigureAwait(false);
        return tlsa.Status switch
        {
            DnsStatus.NotFound => [],
            DnsStatus.TemporaryFailure => throw new GatherException(GatherError.Dns, false, $"looking up tlsa records at {name}: {tlsa.Error}", tlsa.Status),
            _ => tlsa.Authentic ? tlsa.Records : [],
        };
    }

    /// <summary>
    /// The reference identifiers for DANE-TA name checks (RFC 7672 3.2.2) of one host of
    /// <paramref name="destinations"/>, the first to be sent as SNI.
    /// </summary>
    /// <param name="destinations">The next hop's gathering, from <see cref="DestinationsAsync"/>.</param>
    /// <param name="tlsa">The host's TLSA gathering, from <see cref="TlsaAsync"/>.</param>
    public static IReadOnlyList<Domain> TlsaNames(Destinations destinations, TlsaGathering tlsa)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        ArgumentNullException.ThrowIfNull(tlsa);
        return TlsaNames(destinations.HaveMx, destinations.ExpandedNextHopAuthentic, destinations.NextHop, destinations.ExpandedNextHop, tlsa.BaseDomain);
    }

    /// <summary>
    /// The reference identifiers for DANE-TA name checks (RFC 7672 3.2.2), the first to be sent as SNI:
    /// always the TLSA base domain; with a secure MX lookup also the original next hop (the recipient
    /// domain) and, when different, its CNAME expansion; for a next hop without MX records whose secure
    /// expansion is the TLSA base domain, also the original next hop. After an insecure MX lookup the TLSA
    /// base domain (derived from the MX host name) is the only one. A name reached only through an
    /// insecure CNAME is never a TLSA base domain (see <see cref="TlsaAsync"/>), so never allowed.
    /// </summary>
    /// <param name="haveMx">True when the host came from MX records.</param>
    /// <param name="expandedNextHopAuthentic">True when the MX lookup, or without MX the next hop's CNAME chain, was authentic throughout.</param>
    /// <param name="originalNextHop">The next hop as given: the recipient domain.</param>
    /// <param name="expandedNextHop">The next hop after CNAME expansion.</param>
    /// <param name="tlsaBaseDomain">The host's TLSA base domain (RFC 7672 2.2.3).</param>
    public static IReadOnlyList<Domain> TlsaNames(bool haveMx, bool expandedNextHopAuthentic, Domain originalNextHop, Domain expandedNextHop, Domain tlsaBaseDomain)
    {
        var names = new List<Domain>(3);
        void Add(Domain d)
        {
            if (!d.IsEmpty && !names.Contains(d))
            {
                names.Add(d);
            }
        }
        // RFC 7672 3.2.2: the TLSA base domain is the primary reference identifier.
        Add(tlsaBaseDomain);
        if (!expandedNextHopAuthentic)
        {
            // RFC 7672 3.2.2: DANE despite an insecure MX RRset: the MX host name is the only one.
            return names;
        }
        Add(originalNextHop);
        if (haveMx)
        {
            // RFC 7672 3.2.2: the CNAME-expanded next hop too, when different from the original one.
            Add(expandedNextHop);
        }
        return names;
    }

    private static async Task<T> WithTimeout<T>(Func<CancellationToken, Task<T>> lookup, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(LookupTimeout);
        return await lookup(timeout.Token).ConfigureAwait(false);
    }
}
