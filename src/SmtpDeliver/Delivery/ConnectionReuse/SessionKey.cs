using System.Net;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>Where a session goes: the MX host name, the address dialed and the port.</summary>
/// <param name="Host">The MX host (name or address literal), as the deliverer names it.</param>
/// <param name="Address">The address connected to.</param>
/// <param name="Port">The SMTP port.</param>
internal readonly record struct DestinationKey(string Host, IPAddress Address, int Port)
{
    public override string ToString() => $"{Host} ({Address}:{Port})";
}

/// <summary>
/// A destination and everything a session there was set up to demand of TLS. Two messages share a session
/// only when their keys are equal: then a new connection would have been set up with exactly the same
/// options, so the session's verification (STARTTLS or not, PKIX for which name, DANE with which records,
/// errors ignored or not) is the one the message's policy asks for, never less.
/// </summary>
/// <param name="Destination">Host, address and port.</param>
/// <param name="TlsMode">Opportunistic or required STARTTLS (<see cref="HostSecurityPlan.TlsMode"/>).</param>
/// <param name="EnforcePkix">PKIX enforced for <paramref name="VerifyNames"/>' first name.</param>
/// <param name="IgnoreVerifyErrors">Verification failures recorded but ignored ("TLS-Required: No").</param>
/// <param name="VerifyNames">The name verified (PKIX and DANE) and DANE's further names, in order.</param>
/// <param name="DaneRecords">The usable TLSA records the certificate was checked against, sorted; empty without DANE.</param>
internal sealed record SessionKey(DestinationKey Destination, TlsMode TlsMode, bool EnforcePkix, bool IgnoreVerifyErrors, string VerifyNames, string DaneRecords)
{
    public static SessionKey For(DestinationKey destination, HostSecurityPlan security, IReadOnlyList<TlsaRecord>? daneRecords, IReadOnlyList<Domain> names) => new(
        destination,
        security.TlsMode,
        security.EnforcePkix,
        security.IgnoreVerifyErrors,
        string.Join(' ', names.Select(n => n.Ascii)),
        daneRecords is null ? string.Empty : "dane " + string.Join(';', daneRecords.Select(r => r.ToString()).Order(StringComparer.Ordinal)));
}
