namespace SmtpDeliver.Delivery;

/// <summary>The verdict of <c>DaneHostCheck.VerifyAsync</c>.</summary>
public enum DaneHostOutcome
{
    /// <summary>DANE applies and every address presented a certificate matching a TLSA record.</summary>
    Verified,
    /// <summary>DANE applies and at least one address failed: mismatch, no STARTTLS, handshake or connection failure.</summary>
    Failed,
    /// <summary>DANE does not apply: insecure (not DNSSEC-authentic) answers, no TLSA records, or only unusable ones.</summary>
    NotApplicable,
    /// <summary>A DNS lookup failed temporarily (SERVFAIL, including bogus DNSSEC, or timeout).</summary>
    TemporaryDnsFailure,
}
