using System.Text.Json;
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

/// <summary>
/// A TLSRPT aggregate report (RFC 8460 4): who reports, for which period, and one result per policy.
/// Serialise with <see cref="ToJson"/>, read with <see cref="Parse"/>.
/// </summary>
public sealed class TlsRptReport
{
    /// <summary>The reporting organization.</summary>
    [JsonPropertyName("organization-name")]
    public string OrganizationName { get; init; } = string.Empty;

    /// <summary>The reporting period.</summary>
    [JsonPropertyName("date-range")]
    public DateRange DateRange { get; init; } = new();

    /// <summary>Contact address of the reporter.</summary>
    [JsonPropertyName("contact-info")]
    public string ContactInfo { get; init; } = string.Empty;

    /// <summary>A unique identifier of the report.</summary>
    [JsonPropertyName("report-id")]
    public string ReportId { get; init; } = string.Empty;

    /// <summary>The results, one per policy.</summary>
    [JsonPropertyName("policies")]
    public List<TlsRptResult> Policies { get; init; } = [];

    /// <summary>
    /// Adds results: one whose policy equals an existing result's policy (type, strings, domain, MX hosts,
    /// in order) is merged into it with <see cref="TlsRptResult.Add"/>; others are appended.
    /// </summary>
    public void Merge(params IEnumerable<TlsRptResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var result in results)
        {
            var existing = Policies.Find(p => p.Policy.Equals(result.Policy));
            if (existing is null)
            {
                var copy = new TlsRptResult(result.Policy);
                Policies.Add(copy);
                existing = copy;
            }
            var summary = result.Summary;
            existing.Add(summary.TotalSuccessfulSessionCount, summary.TotalFailureSessionCount, [.. result.FailureDetails]);
        }
    }

    /// <summary>The report as RFC 8460 JSON.</summary>
    public string ToJson(bool indented = false) =>
        JsonSerializer.Serialize(this, indented ? TlsRptJsonContext.Indented.TlsRptReport : TlsRptJsonContext.Default.TlsRptReport);

    /// <summary>Parses an RFC 8460 JSON report; unknown members are refused.</summary>
    /// <exception cref="JsonException">The JSON is not a valid report.</exception>
    public static TlsRptReport Parse(string json) =>
        JsonSerializer.Deserialize(json, TlsRptJsonContext.Default.TlsRptReport) ?? throw new JsonException("tlsrpt report is null");
}

/// <summary>Source-generated System.Text.Json metadata for TLSRPT types (AOT and trimming safe).</summary>
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(TlsRptReport))]
[JsonSerializable(typeof(TlsRptResult))]
[JsonSerializable(typeof(List<TlsRptResult>))]
public sealed partial class TlsRptJsonContext : JsonSerializerContext
{
    /// <summary>The same metadata, writing indented JSON.</summary>
    public static TlsRptJsonContext Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow });
}

/// <summary>
/// RFC 3339 date-times for TLSRPT; on reading, also the form without zone that some reporters send
/// ("2006-01-02T15:04:05"), taken as UTC.
/// </summary>
public sealed class Rfc3339DateTimeConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc/>
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var s = reader.GetString() ?? throw new JsonException("date-time is null");
        if (DateTimeOffset.TryParseExact(s, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d))
        {
            return d;
        }
        if (DateTimeOffset.TryParseExact(s, "yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out d))
        {
            return d;
        }
        throw new JsonException($"invalid tlsrpt date-time {s}");
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Reads and writes <see cref="TlsRptResult"/>, whose counts are kept behind a lock.</summary>
public sealed class ResultJsonConverter : JsonConverter<TlsRptResult>
{
    /// <inheritdoc/>
    public override TlsRptResult Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("tlsrpt result must be an object");
        }
        TlsRptResultPolicy? policy = null;
        TlsRptSummary summary = new();
        List<FailureDetails> details = [];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "policy":
                    policy = JsonSerializer.Deserialize(ref reader, TlsRptDetailJsonContext.Default.TlsRptResultPolicy);
                    break;
                case "summary":
                    summary = JsonSerializer.Deserialize(ref reader, TlsRptDetailJsonContext.Default.TlsRptSummary) ?? new();
                    break;
                case "failure-details":
                    details = JsonSerializer.Deserialize(ref reader, TlsRptDetailJsonContext.Default.ListFailureDetails) ?? [];
                    break;
                default:
                    throw new JsonException($"unknown member {name} in tlsrpt result");
            }
        }
        var result = new TlsRptResult(policy ?? throw new JsonException("tlsrpt result without policy"));
        result.Add(summary.TotalSuccessfulSessionCount, summary.TotalFailureSessionCount, [.. details]);
        return result;
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TlsRptResult value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WritePropertyName("policy");
        JsonSerializer.Serialize(writer, value.Policy, TlsRptDetailJsonContext.Default.TlsRptResultPolicy);
        writer.WritePropertyName("summary");
        JsonSerializer.Serialize(writer, value.Summary, TlsRptDetailJsonContext.Default.TlsRptSummary);
        writer.WritePropertyName("failure-details");
        JsonSerializer.Serialize(writer, value.FailureDetails.ToList(), TlsRptDetailJsonContext.Default.ListFailureDetails);
        writer.WriteEndObject();
    }
}

/// <summary>Metadata for the parts of a result.</summary>
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(TlsRptResultPolicy))]
[JsonSerializable(typeof(TlsRptSummary))]
[JsonSerializable(typeof(List<FailureDetails>))]
internal sealed partial class TlsRptDetailJsonContext : JsonSerializerContext;
