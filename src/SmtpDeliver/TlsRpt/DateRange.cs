using System.Text.Json.Serialization;

namespace SmtpDeliver.TlsRpt;

/// <summary>The reporting period of a TLSRPT report (RFC 8460 4.4).</summary>
public sealed record DateRange
{
    /// <summary>Start of the period.</summary>
    [JsonPropertyName("start-datetime")]
    [JsonConverter(typeof(Rfc3339DateTimeConverter))]
    public DateTimeOffset Start { get; init; }

    /// <summary>End of the period.</summary>
    [JsonPropertyName("end-datetime")]
    [JsonConverter(typeof(Rfc3339DateTimeConverter))]
    public DateTimeOffset End { get; init; }
}
