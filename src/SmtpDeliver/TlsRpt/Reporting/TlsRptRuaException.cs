namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>A report destination (rua) is refused; see <see cref="Refusal"/>.</summary>
public sealed class TlsRptRuaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TlsRptRuaException(TlsRptRuaRefusal refusal, string message) : base(message) => Refusal = refusal;

    /// <summary>Creates the exception (unsupported scheme).</summary>
    public TlsRptRuaException(string message) : this(TlsRptRuaRefusal.UnsupportedScheme, message)
    {
    }

    /// <summary>Creates the exception with a cause (unsupported scheme).</summary>
    public TlsRptRuaException(string message, Exception innerException) : base(message, innerException) => Refusal = TlsRptRuaRefusal.UnsupportedScheme;

    /// <summary>Creates the exception (unsupported scheme).</summary>
    public TlsRptRuaException() : this("unsupported tlsrpt rua")
    {
    }

    /// <summary>Why the rua is refused.</summary>
    public TlsRptRuaRefusal Refusal { get; }
}
