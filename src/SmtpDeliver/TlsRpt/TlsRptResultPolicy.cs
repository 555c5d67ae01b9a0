using System.Text.Json.Serialization;

namespace SmtpDeliver.TlsRpt;

/// <summary>The "policy" object of a TLSRPT result (RFC 8460 section 4.3).</summary>
public sealed record TlsRptResultPolicy
{
    /// <summary>One of <see cref="TlsRpt.PolicyType"/>.</summary>
    [JsonPropertyName("policy-type")]
    public required string Type { get; init; }

    /// <summary>The policy text: TLSA records in presentation form, or the MTA-STS policy lines.</summary>
    [JsonPropertyName("policy-string")]
    public IReadOnlyList<string> Strings { get; init; } = [];

    /// <summary>The domain the policy is for: the recipient domain (MTA-STS, no policy) or the TLSA base domain.</summary>
    [JsonPropertyName("policy-domain")]
    public required string Domain { get; init; }

    /// <summary>The MX host patterns of an MTA-STS policy.</summary>
    [JsonPropertyName("mx-host")]
    public IReadOnlyList<string> MxHost { get; init; } = [];

    /// <summary>True when type, strings, domain and MX hosts are all equal (order-sensitive).</summary>
    public bool Equals(TlsRptResultPolicy? other) =>
        other is not null && Type == other.Type && Domain == other.Domain
        && Strings.SequenceEqual(other.Strings) && MxHost.SequenceEqual(other.MxHost);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, Domain, Strings.Count, MxHost.Count);
}
