using System.Text.Json.Serialization;

namespace SmtpDeliver.TlsRpt;

/// <summary>The "summary" object of a TLSRPT result: session counts (RFC 8460 section 4.3).</summary>
public sealed record TlsRptSummary
{
    /// <summary>Sessions in which TLS was negotiated and the policy was satisfied.</summary>
    [JsonPropertyName("total-successful-session-count")]
    public long TotalSuccessfulSessionCount { get; init; }

    /// <summary>Sessions that failed TLS negotiation or policy validation.</summary>
    [JsonPropertyName("total-failure-session-count")]
    public long TotalFailureSessionCount { get; init; }
}
