namespace SmtpDeliver;

/// <summary>
/// What the connection must offer before the client authenticates (RFC 8314 3, RFC 4954 14): AUTH of any
/// mechanism sends either the password, a bearer token, or an exchange that can be attacked offline.
/// The check is made before a single AUTH byte is written; a refusal is a permanent
/// <see cref="SmtpException"/> with <see cref="SmtpException.Command"/> = <see cref="SmtpCommand.Auth"/>.
/// </summary>
public enum AuthSecurity
{
    /// <summary>
    /// The default: authenticate only over TLS whose server certificate was verified, by PKIX for the
    /// remote host name (<see cref="SmtpClientSession.Pkix"/>) or by DANE (<see cref="SmtpClientSession.Dane"/>). A verification
    /// that failed and was passed over with <see cref="SmtpSessionOptions.IgnoreTlsVerifyErrors"/> or without
    /// enforcing PKIX does not count; nor does PKIX without a remote host name (nothing was matched), nor
    /// PKIX when DANE was evaluated and failed (RFC 7672 2.2: DANE decides). Refusals:
    /// <see cref="SmtpErrorReason.CleartextAuthentication"/> without TLS,
    /// <see cref="SmtpErrorReason.UnverifiedTlsAuthentication"/> over unverified TLS.
    /// </summary>
    VerifiedTls,

    /// <summary>
    /// Authenticate over any TLS connection, verified or not. Risk: an active attacker who answers with
    /// any certificate (self-signed will do) gets PLAIN/LOGIN passwords and bearer tokens, and can attack
    /// CRAM-MD5 and SCRAM exchanges offline. Use only where the path to the server is trusted.
    /// </summary>
    AnyTls,

    /// <summary>
    /// Authenticate also without TLS (e.g. after a stripped STARTTLS in opportunistic mode). Risk: passive
    /// eavesdroppers get PLAIN/LOGIN passwords and bearer tokens, and CRAM-MD5/SCRAM exchanges they can
    /// crack offline; plus everything <see cref="AnyTls"/> risks. For test setups and trusted local links only.
    /// </summary>
    AllowCleartext,
}
