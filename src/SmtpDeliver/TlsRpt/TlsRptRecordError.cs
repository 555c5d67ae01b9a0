namespace SmtpDeliver.TlsRpt;

/// <summary>Why a TLSRPT DNS record could not be used.</summary>
public enum TlsRptRecordError
{
    /// <summary>No TXT record at _smtp._tls.&lt;domain&gt; starts with "v=TLSRPTv1".</summary>
    NoRecord,
    /// <summary>More than one TLSRPT record (RFC 8460 3: then none applies).</summary>
    MultipleRecords,
    /// <summary>The record does not follow RFC 8460 3 syntax.</summary>
    Syntax,
}
