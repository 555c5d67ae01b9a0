namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>The outcome of looking up a domain's TLSRPT record (RFC 8460 3).</summary>
public enum TlsRptRecordLookupStatus
{
    /// <summary>Exactly one TLSRPT record, valid: reports go to its rua.</summary>
    Found,
    /// <summary>No TXT record starting with "v=TLSRPTv1" (also NXDOMAIN): the domain wants no reports.</summary>
    NoRecord,
    /// <summary>More than one TLSRPT record: RFC 8460 3, none applies, no reports.</summary>
    MultipleRecords,
    /// <summary>The one TLSRPT record does not follow RFC 8460 3 syntax: no reports.</summary>
    Invalid,
    /// <summary>The lookup failed temporarily (SERVFAIL, timeout): try again later.</summary>
    TemporaryFailure,
}
