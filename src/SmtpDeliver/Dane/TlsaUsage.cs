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

/// <summary>TLSA selector (RFC 6698 section 2.1.2): which part of the certificate is matched.</summary>
public enum TlsaSelector : byte
{
    /// <summary>Cert (0): the full DER certificate.</summary>
    Cert = 0,
    /// <summary>SPKI (1): the DER SubjectPublicKeyInfo.</summary>
    Spki = 1,
}

/// <summary>TLSA matching type (RFC 6698 section 2.1.3): how the selected data is compared.</summary>
public enum TlsaMatchingType : byte
{
    /// <summary>Full (0): exact bytes.</summary>
    Full = 0,
    /// <summary>SHA2-256 (1): SHA-256 hash, 32 bytes.</summary>
    Sha256 = 1,
    /// <summary>SHA2-512 (2): SHA-512 hash, 64 bytes.</summary>
    Sha512 = 2,
}
