namespace SmtpDeliver.TlsRpt;

/// <summary>The "policy-type" of a TLSRPT result (RFC 8460 section 4.3), as its exact JSON string.</summary>
public static class PolicyType
{
    /// <summary>A DANE policy: TLSA records.</summary>
    public const string Tlsa = "tlsa";
    /// <summary>An MTA-STS policy.</summary>
    public const string Sts = "sts";
    /// <summary>No policy was found; opportunistic TLS.</summary>
    public const string NoPolicyFound = "no-policy-found";
}
