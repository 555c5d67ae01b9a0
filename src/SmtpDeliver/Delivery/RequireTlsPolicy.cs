namespace SmtpDeliver.Delivery;

/// <summary>How strictly a REQUIRETLS request (RFC 8689) is honoured, shaped like Postfix's smtp_requiretls_policy.</summary>
public enum RequireTlsPolicy
{
    /// <summary>Enforce RFC 8689: only a host reached with STARTTLS, verified by DANE or MTA-STS, announcing REQUIRETLS.</summary>
    Enforce,
    /// <summary>Verified TLS is required, but a host without the REQUIRETLS extension is accepted (the request is not passed on).</summary>
    OpportunisticStartTls,
    /// <summary>Try to meet the request, but deliver anyway (with whatever TLS there is) when it cannot be met.</summary>
    Opportunistic,
    /// <summary>Ignore REQUIRETLS requests.</summary>
    Disable,
}
