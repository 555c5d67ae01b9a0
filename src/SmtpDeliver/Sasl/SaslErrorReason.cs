namespace SmtpDeliver.Sasl;

/// <summary>Why a SASL mechanism failed on the client side.</summary>
public enum SaslErrorReason
{
    /// <summary>The server's message does not follow the mechanism's syntax.</summary>
    MalformedChallenge,
    /// <summary>The server asked for parameters too weak to use (SCRAM: iterations, salt, nonce).</summary>
    Unsafe,
    /// <summary>The server did not prove knowledge of the password (SCRAM server signature).</summary>
    ServerProofMismatch,
    /// <summary>The server reported an error inside the mechanism (SCRAM "e=", OAuth error JSON).</summary>
    ServerError,
    /// <summary>The mechanism was asked for more steps than it has.</summary>
    UnexpectedStep,
    /// <summary>Credentials cannot be used, e.g. a password that SASLprep prohibits.</summary>
    InvalidCredentials,
    /// <summary>The server offers no mechanism we can use with the credentials given.</summary>
    NoCommonMechanism,
    /// <summary>The mechanism asked for is not known.</summary>
    UnsupportedMechanism,
    /// <summary>Channel binding was required but the connection offers no binding data.</summary>
    ChannelBindingUnavailable,
    /// <summary>
    /// The server asked for more SCRAM iterations than <see cref="SaslScram.MaxIterations"/> allows; refused
    /// before any hashing.
    /// </summary>
    IterationCountTooHigh,
}
