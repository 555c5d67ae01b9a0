using System.Net;
using System.Text;
using SmtpDeliver.Dane;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Fuzz;

/// <summary>
/// Gathering (MX hosts, addresses, TLSA records; RFC 5321 5.1, RFC 7672 2) over DNS answers decoded from
/// the fuzz input, as a hostile zone or resolver could give them: CNAME chains and loops, MX hosts with odd
/// names, TLSA data, authentic bits, temporary failures. GatherException is the only documented failure.
/// </summary>
/// <remarks>
/// The input is a small zone, one record a line, the first line the next hop:
/// <code>
/// example.org.
/// cname NAME TARGET | mx NAME PREF HOST | a NAME IP | aaaa NAME IP | tlsa NAME USAGE SELECTOR TYPE HEX
/// fail TYPE NAME | auth REQUEST | inauth REQUEST | allauth | family 4|6 | dialed HOST IP
/// </code>
/// Names go to the resolver as they are (lower-cased), so any text reaches the gathering code.
/// </remarks>
internal static class GatherTarget
{
    public static void Run(byte[] bytes)
    {
        var lines = Encoding.UTF8.GetString(bytes).Split('\n');
        var resolver = new InMemoryResolver();
        var family = AddressFamilyFilter.Any;
        var dialed = new Dictionary<string, List<IPAddress>>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var f = line.TrimEnd('\r').Split(' ', 3);
            switch (f)
            {
                case ["cname", var name, var target]:
                    resolver.Cname[Name(name)] = target;
                    break;
                case ["mx", var name, var rest] when rest.Split(' ', 2) is [var pref, var host] && int.TryParse(pref, out var preference):
                    Add(resolver.Mx, Name(name), new MxRecord(host, preference));
                    break;
                case ["a" or "aaaa", var name, var ip] when IPAddress.TryParse(ip, out var address):
                    // The resolver parses these again; only well-formed addresses are a resolver's answer.
                    Add(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? resolver.A : resolver.Aaaa, Name(name), ip);
                    break;
                case ["tlsa", var name, var presentation]:
                    try
                    {
                        Add(resolver.Tlsa, Name(name), TlsaRecord.Parse(presentation));
                    }
                    catch (FormatException)
                    {
                    }
                    break;
                case ["fail", var type, var name]:
                    resolver.Fail.Add(type + " " + Name(name));
                    break;
                case ["auth", var type, var name]:
                    resolver.Authentic.Add(type + " " + Name(name));
                    break;
                case ["inauth", var type, var name]:
                    resolver.Inauthentic.Add(type + " " + Name(name));
                    break;
                case ["allauth"]:
                    resolver.AllAuthentic = true;
                    break;
                case ["family", "4"]:
                    family = AddressFamilyFilter.IPv4;
                    break;
                case ["family", "6"]:
                    family = AddressFamilyFilter.IPv6;
                    break;
                case ["dialed", var host, var ip] when IPAddress.TryParse(ip, out var address):
                    if (!dialed.TryGetValue(host, out var list))
                    {
                        dialed[host] = list = [];
                    }
                    list.Add(address);
                    break;
                default:
                    break;
            }
        }
        var first = lines[0].TrimEnd('\r').TrimEnd('.');
        var nextHop = IPAddress.TryParse(first, out var nextHopIP) ? new IPDomain(nextHopIP)
            : Domain.TryParse(first, out var nextHopDomain) ? new IPDomain(nextHopDomain)
            : new IPDomain(Domain.Parse("example.org"));
        Gather(resolver, family, nextHop, dialed).GetAwaiter().GetResult();
    }

    private static string Name(string name) => name.ToLowerInvariant();

    private static void Add<T>(Dictionary<string, List<T>> records, string name, T record)
    {
        if (!records.TryGetValue(name, out var list))
        {
            records[name] = list = [];
        }
        list.Add(record);
    }

    // As the deliverer drives it: destinations, then per host its addresses and, for names, its TLSA records.
    private static async Task Gather(InMemoryResolver resolver, AddressFamilyFilter family, IPDomain nextHop, Dictionary<string, List<IPAddress>> dialed)
    {
        Destinations destinations;
        try
        {
            destinations = await Dns.Gather.DestinationsAsync(resolver, nextHop, CancellationToken.None);
        }
        catch (GatherException)
        {
            return;
        }
        if (destinations.Hosts.Count == 0)
        {
            throw new InvalidOperationException("destinations without hosts");
        }
        foreach (var (host, _) in destinations.Hosts)
        {
            HostAddresses ips;
            try
            {
                ips = await Dns.Gather.IPsAsync(resolver, family, host, dialed, CancellationToken.None);
            }
            catch (GatherException)
            {
                continue;
            }
            if (ips.Addresses.Count == 0)
            {
                throw new InvalidOperationException("host addresses without an address");
            }
            if (host.IP is not null)
            {
                continue;
            }
            TlsaGathering tlsa;
            try
            {
                tlsa = await Dns.Gather.TlsaAsync(resolver, host.Domain, ips.ExpandedAuthentic, ips.ExpandedHost, CancellationToken.None);
            }
            catch (GatherException)
            {
                continue;
            }
            if (tlsa.Records.Any(r => !r.IsUsableForSmtp) || (!tlsa.DaneRequired && tlsa.AllRecords.Count > 0))
            {
                throw new InvalidOperationException("tlsa gathering returned unusable records");
            }
            if (Dns.Gather.TlsaNames(destinations, tlsa) is not [var first, ..] || first != tlsa.BaseDomain)
            {
                throw new InvalidOperationException("tlsa names must start with the tlsa base domain");
            }
        }
    }
}
