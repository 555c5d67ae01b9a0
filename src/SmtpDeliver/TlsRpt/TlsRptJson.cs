using System.Text.Json;
using System.Text.Json.Serialization;

namespace SmtpDeliver.TlsRpt;

/// <summary>Source-generated System.Text.Json metadata for TLSRPT types (AOT and trimming safe).</summary>
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(TlsRptReport))]
[JsonSerializable(typeof(TlsRptResult))]
[JsonSerializable(typeof(List<TlsRptResult>))]
internal sealed partial class TlsRptJsonContext : JsonSerializerContext
{
    /// <summary>The same metadata, writing indented JSON.</summary>
    public static TlsRptJsonContext Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow });
}

/// <summary>
/// RFC 3339 date-times for TLSRPT; on reading, also the form without zone that some reporters send
/// ("2006-01-02T15:04:05"), taken as UTC.
/// </summary>
internal sealed class Rfc3339DateTimeConverter : JsonConverter<DateTimeOffset>
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
internal sealed class ResultJsonConverter : JsonConverter<TlsRptResult>
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
[JsonSerializable(typeof(FailureDetails))]
internal sealed partial class TlsRptDetailJsonContext : JsonSerializerContext;
