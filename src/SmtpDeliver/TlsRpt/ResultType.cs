namespace SmtpDeliver.TlsRpt;

/// <summary>The "result-type" of a TLSRPT failure detail (RFC 8460 section 4.3), as its exact JSON string.</summary>
public static class ResultType
{
    /// <summary>The receiving MTA did not support STARTTLS, or answered STARTTLS with an error.</summary>
    public const string StartTlsNotSupported = "starttls-not-supported";
    /// <summary>The certificate presented did not match the host name.</summary>
    public const string CertificateHostMismatch = "certificate-host-mismatch";
    /// <summary>The certificate has expired.</summary>
    public const string CertificateExpired = "certificate-expired";
    /// <summary>The TLSA record was invalid.</summary>
    public const string TlsaInvalid = "tlsa-invalid";
    /// <summary>DNSSEC validation of the TLSA records failed.</summary>
    public const string DnssecInvalid = "dnssec-invalid";
    /// <summary>DANE was required (e.g. by an MTA-STS policy) but no TLSA records were found.</summary>
    public const string DaneRequired = "dane-required";
    /// <summary>The certificate chain was not trusted.</summary>
    public const string CertificateNotTrusted = "certificate-not-trusted";
    /// <summary>The MTA-STS policy was invalid.</summary>
    public const string StsPolicyInvalid = "sts-policy-invalid";
    /// <summary>The certificate of the MTA-STS policy host failed validation.</summary>
    public const string StsWebPkiInvalid = "sts-webpki-invalid";
    /// <summary>Any other validation failure.</summary>
    public const string ValidationFailure = "validation-failure";
    /// <summary>The MTA-STS policy could not be fetched.</summary>
    public const string StsPolicyFetchError = "sts-policy-fetch-error";
}
