namespace SmtpDeliver;

/// <summary>What a connection must offer before credentials are sent (placeholder until the SASL change lands).</summary>
public enum AuthSecurity
{
    /// <summary>Only over TLS whose certificate verified.</summary>
    VerifiedTls,
    /// <summary>Any TLS.</summary>
    AnyTls,
    /// <summary>Also without TLS.</summary>
    AllowCleartext,
}
