using System.Net;
using SmtpDeliver.Dane;

namespace SmtpDeliver.Delivery;

/// <summary>The DANE check of one address.</summary>
/// <param name="Address">The address connected to.</param>
/// <param name="Verified">True when a TLSA record matched.</param>
/// <param name="VerifiedRecord">The record that matched.</param>
/// <param name="Tls">The TLS connection, when the handshake completed.</param>
/// <param name="Error">Why it failed; empty when verified.</param>
public sealed record DaneAddressCheck(IPAddress Address, bool Verified, TlsaRecord? VerifiedRecord, Tls.TlsConnectionInfo? Tls, string Error);
