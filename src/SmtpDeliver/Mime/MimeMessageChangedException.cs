namespace SmtpDeliver.Mime;

/// <summary>
/// A MimeKit message serialised to another number of bytes than it measured when the delivery was prepared:
/// it was changed in between. The bytes are never sent with a wrong SIZE or BDAT count; the transaction fails.
/// </summary>
/// <remarks>
/// A session reports it as the <see cref="Exception.InnerException"/> of an <see cref="SmtpException"/> (the
/// connection is closed without ending the data, so the server discards the partial message). Do not change a
/// message between preparing and finishing its delivery; prepare it again after a change.
/// </remarks>
public sealed class MimeMessageChangedException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public MimeMessageChangedException()
        : base("the MIME message changed after it was measured")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public MimeMessageChangedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public MimeMessageChangedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a message measured at <paramref name="expectedSize"/> bytes that now has at least <paramref name="actualSize"/>.</summary>
    internal MimeMessageChangedException(long expectedSize, long actualSize, bool atLeast)
        : base($"the MIME message changed after it was measured: {expectedSize} bytes measured, {(atLeast ? "at least " : string.Empty)}{actualSize} written")
    {
        ExpectedSize = expectedSize;
        ActualSize = actualSize;
    }

    /// <summary>The size measured when the delivery was prepared, in bytes.</summary>
    public long ExpectedSize { get; }

    /// <summary>The bytes the message produced when written again (a lower bound when it grew: writing stops at the first byte too many).</summary>
    public long ActualSize { get; }
}
