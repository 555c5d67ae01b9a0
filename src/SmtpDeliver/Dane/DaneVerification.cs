namespace SmtpDeliver.Dane;

/// <summary>The outcome of DANE verification of a server's certificates against TLSA records.</summary>
/// <param name="Verified">True when a record verified.</param>
/// <param name="Record">The first record that verified; <c>null</c> when none did.</param>
/// <param name="Errors">Errors of records that did not verify (a plain mismatch is not an error).</param>
public sealed record DaneVerification(bool Verified, TlsaRecord? Record, IReadOnlyList<DaneRecordError> Errors)
{
    /// <summary>The TLSRPT failure reason for a failed verification: "dane-no-match", with "+errors" when there were errors.</summary>
    public string FailureReasonCode => Errors.Count > 0 ? "dane-no-match+errors" : "dane-no-match";
}
