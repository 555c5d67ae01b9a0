namespace SmtpDeliver.Dane;

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
