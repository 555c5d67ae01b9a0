namespace SmtpDeliver;

/// <summary>What is wrong with a message given for the DATA command.</summary>
internal enum MessageDataError
{
    /// <summary>A carriage return not followed by a line feed (RFC 5321 2.3.8).</summary>
    BareCarriageReturn,
    /// <summary>A line feed not preceded by a carriage return (RFC 5321 2.3.8).</summary>
    BareLineFeed,
    /// <summary>A non-empty message that does not end with CRLF.</summary>
    MissingFinalCrlf,
}

/// <summary>
/// The message cannot be sent as SMTP DATA: every line must end in CRLF and CR and LF may not appear
/// on their own (RFC 5321 2.3.8, 4.1.1.4).
/// </summary>
internal sealed class MessageDataException : Exception
{
    /// <summary>Creates the exception for an error found at a byte offset of the message.</summary>
    public MessageDataException(MessageDataError error, long offset)
        : base(Describe(error, offset))
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Creates the exception with a message (for serialisation and tooling).</summary>
    public MessageDataException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public MessageDataException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without details.</summary>
    public MessageDataException() : base("invalid message data")
    {
    }

    /// <summary>What is wrong.</summary>
    public MessageDataError Error { get; }

    /// <summary>The byte offset in the message where the problem was found.</summary>
    public long Offset { get; }

    private static string Describe(MessageDataError error, long offset) => error switch
    {
        MessageDataError.BareCarriageReturn => $"invalid bare carriage return in message at byte {offset}",
        MessageDataError.BareLineFeed => $"invalid bare line feed in message at byte {offset}",
        _ => "message does not end with crlf",
    };
}
