using System.Net;

namespace SmtpDeliver.Names;

/// <summary>A next hop or host: an IP address literal or a domain name, never both.</summary>
public readonly record struct IPDomain
{
    /// <summary>A domain host.</summary>
    public IPDomain(Domain domain) => Domain = domain;

    /// <summary>An address host.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="ip"/> is null.</exception>
    public IPDomain(IPAddress ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        IP = ip;
    }

    /// <summary>The address, or <c>null</c> for a domain.</summary>
    public IPAddress? IP { get; }

    /// <summary>The domain, empty for an address.</summary>
    public Domain Domain { get; }

    /// <summary>The address text, or the domain's Unicode form.</summary>
    public override string ToString() => IP?.ToString() ?? Domain.ToString();
}
