namespace SmtpDeliver.Sasl;

/// <summary>A SASL mechanism failed on the client side: bad challenge, unsafe parameters, or server proof mismatch.</summary>
public sealed class SaslException : Exception
{
    /// <summary>Creates the exception with a reason and message.</summary>
    public SaslException(SaslErrorReason reason, string message) : base(message) => Reason = reason;

    /// <summary>Creates the exception with a reason, message and cause.</summary>
    public SaslException(SaslErrorReason reason, string message, Exception innerException) : base(message, innerException) => Reason = reason;

    /// <summary>Creates the exception with a message (reason <see cref="SaslErrorReason.MalformedChallenge"/>).</summary>
    public SaslException(string message) : base(message) => Reason = SaslErrorReason.MalformedChallenge;

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SaslException(string message, Exception innerException) : base(message, innerException) => Reason = SaslErrorReason.MalformedChallenge;

    /// <summary>Creates the exception without a message.</summary>
    public SaslException() : base("sasl mechanism failed")
    {
    }

    /// <summary>Why the mechanism failed.</summary>
    public SaslErrorReason Reason { get; }
}
