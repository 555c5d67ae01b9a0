using SmtpDeliver.Delivery.MtaSts;

namespace SmtpDeliver.Delivery;

/// <summary>What DNS said about DANE for one MX host (RFC 7672 2.2).</summary>
internal enum DaneApplicability
{
    /// <summary>Authentic TLSA records exist and at least one is usable for SMTP: DANE decides.</summary>
    Usable,
    /// <summary>Authentic TLSA records exist but none is usable: STARTTLS is still required, unauthenticated.</summary>
    AllUnusable,
    /// <summary>No authentic TLSA records (none, or an insecure answer): DANE does not apply.</summary>
    NotApplicable,
    /// <summary>The TLSA lookup failed (SERVFAIL, bogus signatures, timeout): DANE may apply and cannot be checked.</summary>
    LookupFailed,
}

/// <summary>The inputs that decide how a host must be reached; no DNS or sockets.</summary>
/// <param name="Dane">DANE applicability of the host.</param>
/// <param name="MtaSts">The recipient domain's MTA-STS mode (<see cref="MtaStsMode.None"/> without a policy).</param>
/// <param name="MxMatchesMtaSts">The host matches the MTA-STS policy's mx patterns.</param>
/// <param name="RequireTls">The sender asked for REQUIRETLS (RFC 8689 4).</param>
/// <param name="RequireTlsPolicy">How REQUIRETLS requests are honoured.</param>
/// <param name="TlsRequiredNo">The message has "TLS-Required: No" (RFC 8689 5).</param>
internal sealed record HostSecurityInputs(
    DaneApplicability Dane,
    MtaStsMode MtaSts,
    bool MxMatchesMtaSts,
    bool RequireTls,
    RequireTlsPolicy RequireTlsPolicy,
    bool TlsRequiredNo);

/// <summary>How to reach one host; <see cref="Skip"/> when it must not be used for this message.</summary>
/// <param name="Skip">The host must not be used; <see cref="SkipReason"/> says why.</param>
/// <param name="SkipReason">Why the host is skipped; empty otherwise.</param>
/// <param name="TlsMode">Opportunistic or required STARTTLS.</param>
/// <param name="UseDaneRecords">Pass the usable TLSA records to the client: verified, recorded and (unless ignored) enforced.</param>
/// <param name="EnforcePkix">The certificate must pass PKIX for the MX name, or the handshake fails.</param>
/// <param name="IgnoreVerifyErrors">Verification failures are recorded for TLSRPT but do not fail the handshake.</param>
internal sealed record HostSecurityPlan(bool Skip, string SkipReason, TlsMode TlsMode, bool UseDaneRecords, bool EnforcePkix, bool IgnoreVerifyErrors)
{
    public static HostSecurityPlan Skipped(string reason) => new(true, reason, TlsMode.RequiredStartTls, false, false, false);
}

/// <summary>
/// The one place that combines DANE (RFC 7672), MTA-STS (RFC 8461) and REQUIRETLS (RFC 8689) into what a
/// connection to one MX host must achieve. A pure function, so every combination is table-tested.
/// </summary>
internal static class HostSecurityPolicy
{
    public static HostSecurityPlan Decide(HostSecurityInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var requireTls = inputs.RequireTls && inputs.RequireTlsPolicy != RequireTlsPolicy.Disable;
        // RFC 8689 5: a REQUIRETLS request overrides "TLS-Required: No".
        if (inputs.TlsRequiredNo && !requireTls)
        {
            // RFC 8689 5: deliver despite DANE or MTA-STS; use TLS where offered and record what failed.
            return new HostSecurityPlan(false, string.Empty, TlsMode.Opportunistic, inputs.Dane == DaneApplicability.Usable, false, true);
        }
        if (inputs.Dane == DaneApplicability.LookupFailed)
        {
            // RFC 7672 2.2: a failed TLSA lookup makes the host unusable for now, whatever else applies.
            return HostSecurityPlan.Skipped("tlsa lookup failed, dane cannot be checked");
        }
        var stsEnforced = inputs.MtaSts == MtaStsMode.Enforce;
        if (stsEnforced && !inputs.MxMatchesMtaSts)
        {
            // RFC 8461 4.1: under an enforced policy only hosts the policy names are used.
            return HostSecurityPlan.Skipped("mx host does not match the mta-sts policy");
        }
        // REQUIRETLS needs STARTTLS, except under the "deliver anyway" level; whether the certificate was
        // verified well enough (RFC 8689 4.2.1) is judged after the handshake, so the attempt can say why.
        var requireTlsEnforced = requireTls && inputs.RequireTlsPolicy is RequireTlsPolicy.Enforce or RequireTlsPolicy.OpportunisticStartTls;
        switch (inputs.Dane)
        {
            case DaneApplicability.Usable:
                // RFC 7672 2.2 / RFC 8461 2: DANE takes precedence over MTA-STS for this host.
                return new HostSecurityPlan(false, string.Empty, TlsMode.RequiredStartTls, true, false, false);
            case DaneApplicability.AllUnusable:
                // RFC 7672 2.2: STARTTLS is mandatory; DANE authenticates nothing, so an MTA-STS policy in
                // enforce mode (RFC 8461 4.2) still demands a PKIX-valid certificate.
                return new HostSecurityPlan(false, string.Empty, TlsMode.RequiredStartTls, false, stsEnforced, false);
            default:
                var required = stsEnforced || requireTlsEnforced;
                return new HostSecurityPlan(false, string.Empty, required ? TlsMode.RequiredStartTls : TlsMode.Opportunistic, false, stsEnforced, false);
        }
    }
}
