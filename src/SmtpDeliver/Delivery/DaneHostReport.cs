using SmtpDeliver.Dane;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>The DANE check of one host.</summary>
/// <param name="Host">The host checked.</param>
/// <param name="Outcome">The verdict.</param>
/// <param name="Authentic">True when the first answer for the host name (its addresses, or its first CNAME) was DNSSEC-authentic (RFC 7672 2.2.2).</param>
/// <param name="BaseDomain">The TLSA base domain; empty when not looked up.</param>
/// <param name="Records">All authentic TLSA records found, usable or not.</param>
/// <param name="Addresses">One check per address; empty when DANE does not apply.</param>
/// <param name="Error">For <see cref="DaneHostOutcome.TemporaryDnsFailure"/> and address failures, a description.</param>
public sealed record DaneHostReport(Domain Host, DaneHostOutcome Outcome, bool Authentic, Domain BaseDomain, IReadOnlyList<TlsaRecord> Records, IReadOnlyList<DaneAddressCheck> Addresses, string Error);
