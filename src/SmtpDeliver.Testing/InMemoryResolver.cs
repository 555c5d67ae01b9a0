using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Dns;

namespace SmtpDeliver.Testing;

/// <summary>
/// A resolver answering from records held in memory, with the semantics of a validating resolver: CNAME
/// lookups return one hop, other lookups follow CNAMEs, names in <see cref="Fail"/> ("type name", e.g.
/// "mx example.org.") give a temporary failure, and the authentic bit is <see cref="AllAuthentic"/>
/// unless <see cref="Authentic"/> or <see cref="Inauthentic"/> name the request or a CNAME hop
/// ("cname name"). For tests and the CLI's demo. Names are absolute, lower-case, with trailing dot.
/// </summary>
public sealed class InMemoryResolver : IDnsResolver
{
    /// <summary>A records by name.</summary>
    public Dictionary<string, List<string>> A { get; init; } = [];
    /// <summary>AAAA records by name.</summary>
    public Dictionary<string, List<string>> Aaaa { get; init; } = [];
    /// <summary>MX records by name.</summary>
    public Dictionary<string, List<MxRecord>> Mx { get; init; } = [];
    /// <summary>TLSA records by name, e.g. "_25._tcp.mx.example.".</summary>
    public Dictionary<string, List<TlsaRecord>> Tlsa { get; init; } = [];
    /// <summary>TXT records by name.</summary>
    public Dictionary<string, List<string>> Txt { get; init; } = [];
    /// <summary>CNAME targets by name.</summary>
    public Dictionary<string, string> Cname { get; init; } = [];
    /// <summary>Requests ("type name") that fail temporarily.</summary>
    public HashSet<string> Fail { get; init; } = [];
    /// <summary>The authentic bit of answers not named in <see cref="Authentic"/> or <see cref="Inauthentic"/>.</summary>
    public bool AllAuthentic { get; set; }
    /// <summary>Requests or CNAME hops ("cname name") whose answers are authentic.</summary>
    public HashSet<string> Authentic { get; init; } = [];
    /// <summary>Requests or CNAME hops whose answers are not authentic.</summary>
    public HashSet<string> Inauthentic { get; init; } = [];

    /// <summary>Follows CNAMEs from <paramref name="name"/> for a request of <paramref name="type"/>.</summary>
    private (string Name, bool Authentic, bool Failed) Resolve(string type, string name)
    {
        var authentic = AllAuthentic;
        for (var hops = 0; hops < 64; hops++)
        {
            var request = type + " " + name;
            if (Fail.Contains(request))
            {
                return (name, false, true);
            }
            if (!Cname.TryGetValue(name, out var target))
            {
                authentic = Update(authentic, request);
                return (name, authentic, false);
            }
            authentic = Update(authentic, "cname " + name);
            if (type == "cname")
            {
                return (name, authentic, false);
            }
            name = target;
        }
        return (name, false, true);
    }

    private bool Update(bool authentic, string request) =>
        Inauthentic.Contains(request) ? false : Authentic.Contains(request) || authentic;

    private Task<DnsResult<T>> Answer<T>(string type, string name, Func<string, IReadOnlyList<T>?> records, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (final, authentic, failed) = Resolve(type, name.ToLowerInvariant());
        if (failed)
        {
            return Task.FromResult(DnsResult.Temporary<T>($"servfail for {type} {name}"));
        }
        var found = records(final);
        return Task.FromResult(found is { Count: > 0 } ? DnsResult.Found(found, authentic) : DnsResult.NotFound<T>(authentic, $"no {type} records for {final}"));
    }

    /// <inheritdoc/>
    public Task<DnsResult<string>> LookupCnameAsync(string name, CancellationToken cancellationToken) =>
        Answer<string>("cname", name, n => Cname.TryGetValue(n, out var t) ? [t] : null, cancellationToken);

    /// <inheritdoc/>
    public Task<DnsResult<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken) =>
        Answer("mx", name, n => Mx.GetValueOrDefault(n), cancellationToken);

    /// <inheritdoc/>
    public Task<DnsResult<IPAddress>> LookupIPAsync(AddressFamilyFilter family, string name, CancellationToken cancellationToken)
    {
        var type = family switch { AddressFamilyFilter.IPv4 => "ip4", AddressFamilyFilter.IPv6 => "ip6", _ => "ip" };
        return Answer<IPAddress>(type, name, n =>
        {
            var l = new List<IPAddress>();
            if (family != AddressFamilyFilter.IPv6)
            {
                l.AddRange(A.GetValueOrDefault(n)?.Select(IPAddress.Parse) ?? []);
            }
            if (family != AddressFamilyFilter.IPv4)
            {
                l.AddRange(Aaaa.GetValueOrDefault(n)?.Select(IPAddress.Parse) ?? []);
            }
            return l;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DnsResult<TlsaRecord>> LookupTlsaAsync(string name, CancellationToken cancellationToken) =>
        Answer("tlsa", name, n => Tlsa.GetValueOrDefault(n), cancellationToken);

    /// <inheritdoc/>
    public Task<DnsResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken) =>
        Answer("txt", name, n => Txt.GetValueOrDefault(n), cancellationToken);
}
