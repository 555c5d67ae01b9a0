namespace SmtpDeliver.Dns;

/// <summary>Which address families a lookup asks for.</summary>
public enum AddressFamilyFilter
{
    /// <summary>IPv4 and IPv6 ("ip").</summary>
    Any,
    /// <summary>IPv4 only ("ip4").</summary>
    IPv4,
    /// <summary>IPv6 only ("ip6").</summary>
    IPv6,
}
