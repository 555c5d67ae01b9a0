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

/// <summary>A TLSA record that did not verify, and why.</summary>
/// <param name="Record">The record; <c>null</c> for errors about the whole list.</param>
/// <param name="Kind">The kind of error.</param>
/// <param name="Message">A human-readable description.</param>
public sealed record DaneRecordError(TlsaRecord? Record, DaneErrorKind Kind, string Message);

/// <summary>The outcome of DANE verification of a server's certificates against TLSA records.</summary>
/// <param name="Verified">True when a record verified.</param>
/// <param name="Record">The first record that verified; <c>null</c> when none did.</param>
/// <param name="Errors">Errors of records that did not verify (a plain mismatch is not an error).</param>
public sealed record DaneVerification(bool Verified, TlsaRecord? Record, IReadOnlyList<DaneRecordError> Errors)
{
    /// <summary>The TLSRPT failure reason for a failed verification: "dane-no-match", with "+errors" when there were errors.</summary>
    public string FailureReasonCode => Errors.Count > 0 ? "dane-no-match+errors" : "dane-no-match";
}
