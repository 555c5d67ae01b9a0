using System.Net;
using SmtpDeliver.Dane;

namespace SmtpDeliver.Dns;

/// <summary>
/// A DNS resolver whose every answer says whether it was authentic. Names are absolute, with trailing
/// dot. Only a local, validating resolver's AD bit can be trusted; see docs/dns.md.
/// </summary>
public interface IDnsResolver
{
    /// <summary>The CNAME target of exactly this name (one hop); not found when the name has no CNAME.</summary>
    Task<DnsResult<string>> LookupCnameAsync(string name, CancellationToken cancellationToken);

    /// <summary>MX records, following CNAMEs.</summary>
    Task<DnsResult<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken);

    /// <summary>A and/or AAAA records, following CNAMEs; IPv4 first.</summary>
    Task<DnsResult<IPAddress>> LookupIPAsync(AddressFamilyFilter family, string name, CancellationToken cancellationToken);

    /// <summary>TLSA records, following CNAMEs.</summary>
    Task<DnsResult<TlsaRecord>> LookupTlsaAsync(string name, CancellationToken cancellationToken);

    /// <summary>TXT records, each as its strings concatenated, following CNAMEs.</summary>
    Task<DnsResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken);
}
