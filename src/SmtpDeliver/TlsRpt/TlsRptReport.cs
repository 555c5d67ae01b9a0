using System.Text.Json;
using System.Text.Json.Serialization;

namespace SmtpDeliver.TlsRpt;

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

    private readonly List<TlsRptResult> _policies = [];

    /// <summary>The results, one per policy; <see cref="Merge"/> adds to them.</summary>
    [JsonPropertyName("policies")]
    public IReadOnlyList<TlsRptResult> Policies
    {
        get => _policies;
        // JSON "policies": null reads as no policies.
        init => _policies = value is null ? [] : [.. value];
    }

    /// <summary>
    /// Adds results: one whose policy equals an existing result's policy (type, strings, domain, MX hosts,
    /// in order) is merged into it with <see cref="TlsRptResult.Add"/>; others are appended.
    /// </summary>
    public void Merge(params IEnumerable<TlsRptResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var result in results)
        {
            var existing = _policies.Find(p => p.Policy.Equals(result.Policy));
            if (existing is null)
            {
                var copy = new TlsRptResult(result.Policy);
                _policies.Add(copy);
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
