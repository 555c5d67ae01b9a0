namespace SmtpDeliver.TlsRpt;

/// <summary>A TLSRPT record could not be used; see <see cref="Error"/>.</summary>
public sealed class TlsRptRecordException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TlsRptRecordException(TlsRptRecordError error, string message) : base(message) => Error = error;

    /// <summary>Creates the exception (syntax error).</summary>
    public TlsRptRecordException(string message) : this(TlsRptRecordError.Syntax, message)
    {
    }

    /// <summary>Creates the exception with a cause (syntax error).</summary>
    public TlsRptRecordException(string message, Exception innerException) : base(message, innerException) => Error = TlsRptRecordError.Syntax;

    /// <summary>Creates the exception (syntax error).</summary>
    public TlsRptRecordException() : this("invalid tlsrpt record")
    {
    }

    /// <summary>What is wrong.</summary>
    public TlsRptRecordError Error { get; }
}
