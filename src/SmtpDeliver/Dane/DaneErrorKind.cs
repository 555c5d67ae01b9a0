namespace SmtpDeliver.Dane;

/// <summary>Why a TLSA record did not verify, when that is more than a plain mismatch.</summary>
public enum DaneErrorKind
{
    /// <summary>The server sent no certificate.</summary>
    NoCertificate,
    /// <summary>The chain to the trust anchor has a certificate that is expired or not yet valid.</summary>
    Expired,
    /// <summary>The server certificate is not valid for any allowed host name.</summary>
    NameMismatch,
    /// <summary>No chain could be built to the trust anchor (or, for PKIX usages, to a trusted root).</summary>
    ChainNotTrusted,
    /// <summary>The record list was empty.</summary>
    NoRecords,
}
