namespace SmtpDeliver.Dns;

/// <summary>
/// The answer to a DNS lookup: status, records, and whether the answer was authentic — the AD bit from
/// a trusted validating resolver, meaning DNSSEC validated it (RFC 4035 3.2.3). Not-found answers carry
/// their own authentic bit: an authentic "no records" is a proof of non-existence.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="Status">The outcome.</param>
/// <param name="Records">The records on success; empty otherwise.</param>
/// <param name="Authentic">True when the answer (records or non-existence) was DNSSEC-validated.</param>
/// <param name="Error">For failures, a description.</param>
public sealed record DnsResult<T>(DnsStatus Status, IReadOnlyList<T> Records, bool Authentic, string Error = "");

/// <summary>Makes <see cref="DnsResult{T}"/> values.</summary>
public static class DnsResult
{
    /// <summary>A successful answer.</summary>
    public static DnsResult<T> Found<T>(IReadOnlyList<T> records, bool authentic) => new(DnsStatus.Success, records, authentic);

    /// <summary>A not-found answer.</summary>
    public static DnsResult<T> NotFound<T>(bool authentic, string error = "no such record") => new(DnsStatus.NotFound, [], authentic, error);

    /// <summary>A temporary failure; never authentic.</summary>
    public static DnsResult<T> Temporary<T>(string error) => new(DnsStatus.TemporaryFailure, [], false, error);
}
