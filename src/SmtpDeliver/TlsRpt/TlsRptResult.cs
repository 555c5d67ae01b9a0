using System.Text.Json.Serialization;

namespace SmtpDeliver.TlsRpt;

/// <summary>
/// A TLSRPT result for one policy (RFC 8460 section 4.3): the policy, the session counts and the
/// failure details. The client adds to it during TLS negotiation. <see cref="Add"/> is thread-safe, so
/// one result can collect the sessions of concurrent connections to the same host or domain.
/// </summary>
[JsonConverter(typeof(ResultJsonConverter))]
public sealed class TlsRptResult
{
    private readonly Lock _lock = new();
    private readonly List<FailureDetails> _failureDetails = [];
    private long _success;
    private long _failure;

    /// <summary>A result for the given policy, with zero counts.</summary>
    public TlsRptResult(TlsRptResultPolicy policy) => Policy = policy;

    /// <summary>A result for the given policy type and domain, with no policy strings and zero counts.</summary>
    public TlsRptResult(string policyType, string policyDomain)
        : this(new TlsRptResultPolicy { Type = policyType, Domain = policyDomain })
    {
    }

    /// <summary>The policy the counts are for.</summary>
    [JsonPropertyName("policy")]
    public TlsRptResultPolicy Policy { get; }

    /// <summary>A snapshot of the session counts.</summary>
    [JsonPropertyName("summary")]
    public TlsRptSummary Summary
    {
        get
        {
            lock (_lock)
            {
                return new TlsRptSummary { TotalSuccessfulSessionCount = _success, TotalFailureSessionCount = _failure };
            }
        }
    }

    /// <summary>A snapshot of the failure details, in the order they were first added.</summary>
    [JsonPropertyName("failure-details")]
    public IReadOnlyList<FailureDetails> FailureDetails
    {
        get
        {
            lock (_lock)
            {
                return [.. _failureDetails];
            }
        }
    }

    /// <summary>
    /// Adds session counts and failure details. Counts may be negative (to correct a success that
    /// turned out to be a failure); totals never go below zero. A detail equal to an existing one in
    /// every field but the count is merged into it by adding the counts; otherwise it is appended.
    /// </summary>
    public void Add(long success, long failure, params ReadOnlySpan<FailureDetails> details)
    {
        lock (_lock)
        {
            _success = Math.Max(0, _success + success);
            _failure = Math.Max(0, _failure + failure);
            foreach (var detail in details)
            {
                var index = _failureDetails.FindIndex(d => d.SameFailure(detail));
                if (index >= 0)
                {
                    var existing = _failureDetails[index];
                    _failureDetails[index] = existing with { FailedSessionCount = existing.FailedSessionCount + detail.FailedSessionCount };
                }
                else
                {
                    _failureDetails.Add(detail);
                }
            }
        }
    }
}
