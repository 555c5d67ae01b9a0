namespace SmtpDeliver.Dane;

/// <summary>TLSA certificate usage (RFC 6698 section 2.1.1, RFC 7218 mnemonics).</summary>
public enum TlsaUsage : byte
{
    /// <summary>PKIX-TA (0): CA constraint, needs PKIX validation too. Not usable for SMTP (RFC 7672 3.1.3).</summary>
    PkixTa = 0,
    /// <summary>PKIX-EE (1): service certificate constraint, needs PKIX validation too. Not usable for SMTP.</summary>
    PkixEe = 1,
    /// <summary>DANE-TA (2): trust anchor assertion; the chain must lead to the matched certificate.</summary>
    DaneTa = 2,
    /// <summary>DANE-EE (3): domain-issued certificate; only the server certificate is matched.</summary>
    DaneEe = 3,
}
