namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>Why an HTTPS report submission (RFC 8460 5.4) failed.</summary>
public enum TlsRptHttpsFailure
{
    /// <summary>No failure: the server answered 2xx.</summary>
    None,
    /// <summary>The server answered with a status that is not 2xx or 3xx.</summary>
    Status,
    /// <summary>The server answered with a redirect, which is not followed.</summary>
    Redirect,
    /// <summary>The response body was larger than the limit.</summary>
    ResponseTooLarge,
    /// <summary>The whole exchange took longer than the time limit.</summary>
    Timeout,
    /// <summary>The server's certificate did not pass PKIX verification.</summary>
    Certificate,
    /// <summary>The host has no address, or only addresses that are not public (refused by default).</summary>
    Address,
    /// <summary>Connecting or talking HTTP failed.</summary>
    Connection,
}
