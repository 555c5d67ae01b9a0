using System.Text.Json.Serialization;

namespace SmtpDeliver.TlsRpt;

/// <summary>
/// One "failure-details" entry of a TLSRPT result (RFC 8460 section 4.3). Two details that are equal
/// in every field except <see cref="FailedSessionCount"/> describe the same failure and are merged by
/// <see cref="TlsRptResult.Add"/>.
/// </summary>
public sealed record FailureDetails
{
    /// <summary>The kind of failure, one of <see cref="ResultType"/>.</summary>
    [JsonPropertyName("result-type")]
    public required string ResultType { get; init; }

    /// <summary>The IP address the sending MTA connected from; empty when not known.</summary>
    [JsonPropertyName("sending-mta-ip")]
    public string SendingMtaIp { get; init; } = string.Empty;

    /// <summary>The host name of the receiving MX, in ASCII form.</summary>
    [JsonPropertyName("receiving-mx-hostname")]
    public string ReceivingMxHostname { get; init; } = string.Empty;

    /// <summary>The name the receiving MX gave in its greeting; omitted from JSON when empty.</summary>
    [JsonPropertyName("receiving-mx-helo")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public string? ReceivingMxHelo { get; init; }

    /// <summary>The IP address of the receiving MX; empty when not known.</summary>
    [JsonPropertyName("receiving-ip")]
    public string ReceivingIp { get; init; } = string.Empty;

    /// <summary>The number of sessions that failed this way.</summary>
    [JsonPropertyName("failed-session-count")]
    public long FailedSessionCount { get; init; }

    /// <summary>Free-form additional information, e.g. a URI.</summary>
    [JsonPropertyName("additional-information")]
    public string AdditionalInformation { get; init; } = string.Empty;

    /// <summary>A short machine-readable reason, e.g. <c>smtp-starttls-reply-code-502</c> or <c>dane-no-match</c>.</summary>
    [JsonPropertyName("failure-reason-code")]
    public string FailureReasonCode { get; init; } = string.Empty;

    /// <summary>A detail of the given type and reason, counting one failed session.</summary>
    public static FailureDetails Of(string resultType, string reasonCode) =>
        new() { ResultType = resultType, FailureReasonCode = reasonCode, FailedSessionCount = 1 };

    /// <summary>True when both describe the same failure, ignoring <see cref="FailedSessionCount"/>.</summary>
    public bool SameFailure(FailureDetails other) =>
        this with { FailedSessionCount = 0 } == other with { FailedSessionCount = 0 };
}
