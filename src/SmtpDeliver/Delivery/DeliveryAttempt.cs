using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>One connection attempt.</summary>
/// <param name="Host">The MX host.</param>
/// <param name="Address">The address dialed, when one was.</param>
/// <param name="TlsStatus">The TLS status in the form Postfix logs it (docs/delivery.md).</param>
/// <param name="VerifiedDaneRecord">The TLSA record that verified the certificate.</param>
/// <param name="Error">Why the attempt failed; empty on success.</param>
public sealed record DeliveryAttempt(Domain Host, IPAddress? Address, TlsStatus TlsStatus, TlsaRecord? VerifiedDaneRecord, string Error);
