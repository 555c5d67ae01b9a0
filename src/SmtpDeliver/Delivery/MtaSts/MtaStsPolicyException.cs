namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>An MTA-STS policy could not be parsed.</summary>
public sealed class MtaStsPolicyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MtaStsPolicyException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public MtaStsPolicyException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MtaStsPolicyException() : base("invalid mta-sts policy")
    {
    }
}
