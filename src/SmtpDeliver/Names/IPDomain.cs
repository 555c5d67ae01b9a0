using System.Net;

namespace SmtpDeliver.Names;

/// <summary>A next hop or host: an IP address literal or a domain name.</summary>
/// <param name="IP">The address, or <c>null</c> for a domain.</param>
/// <param name="Domain">The domain, empty for an address.</param>
public readonly record struct IPDomain(IPAddress? IP, Domain Domain)
{
    /// <summary>A domain host.</summary>
    public static IPDomain Of(Domain domain) => new(null, domain);

    /// <summary>An address host.</summary>
    public static IPDomain Of(IPAddress ip) => new(ip, default);

    /// <summary>The address text, or the domain's Unicode form.</summary>
    public override string ToString() => IP?.ToString() ?? Domain.ToString();
}
