namespace SmtpDeliver.Dns;

/// <summary>The outcome of a DNS lookup.</summary>
public enum DnsStatus
{
    /// <summary>Records were found.</summary>
    Success,
    /// <summary>The name does not exist (NXDOMAIN) or has no records of the type (NODATA).</summary>
    NotFound,
    /// <summary>The lookup failed: SERVFAIL (also a DNSSEC validation failure), timeout, refused.</summary>
    TemporaryFailure,
}
