namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>The outcome of posting a report over HTTPS (RFC 8460 5.4).</summary>
/// <param name="Failure">Why it failed; <see cref="TlsRptHttpsFailure.None"/> when the report was accepted.</param>
/// <param name="StatusCode">The HTTP status, when a response came.</param>
/// <param name="Detail">A description for logs.</param>
public sealed record TlsRptHttpsResult(TlsRptHttpsFailure Failure, int? StatusCode, string Detail = "")
{
    /// <summary>True when the server answered 2xx (RFC 8460 5.4: the report was accepted).</summary>
    public bool Accepted => Failure == TlsRptHttpsFailure.None;
}
