namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>The mode of an MTA-STS policy (RFC 8461 3.2).</summary>
public enum MtaStsMode
{
    /// <summary>Deliver only to MX hosts matching the policy, over TLS with a PKIX-valid certificate for the MX name.</summary>
    Enforce,
    /// <summary>TlsRptReport failures (TLSRPT) but deliver anyway.</summary>
    Testing,
    /// <summary>No policy is in effect.</summary>
    None,
}
