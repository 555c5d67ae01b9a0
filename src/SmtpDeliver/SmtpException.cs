namespace SmtpDeliver;

/// <summary>
/// An SMTP operation failed. The fields say whether to retry (<see cref="Permanent"/>), what the server
/// said (<see cref="Response"/>: code, enhanced status code, lines), to which
/// command, and why (<see cref="Reason"/>).
/// </summary>
public sealed class SmtpException : Exception
{
    /// <summary>Creates an error for a reply or a local failure.</summary>
    public SmtpException(SmtpErrorReason reason, bool permanent, SmtpCommand command, string message, SmtpResponse? response = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        Permanent = permanent;
        Command = command;
        Response = response is null
            ? new SmtpResponse { Command = command, Permanent = permanent, Reason = reason }
            : response with { Command = command, Permanent = permanent, Reason = reason };
    }

    /// <summary>Creates an error with only a message (transient, reason <see cref="SmtpErrorReason.Protocol"/>).</summary>
    public SmtpException(string message) : this(SmtpErrorReason.Protocol, false, SmtpCommand.None, message)
    {
    }

    /// <summary>Creates an error with a message and a cause (transient, reason <see cref="SmtpErrorReason.Connection"/>).</summary>
    public SmtpException(string message, Exception innerException)
        : this(SmtpErrorReason.Connection, false, SmtpCommand.None, message, null, innerException)
    {
    }

    /// <summary>Creates an error without details.</summary>
    public SmtpException() : this("smtp error")
    {
    }

    /// <summary>Why the operation failed.</summary>
    public SmtpErrorReason Reason { get; }

    /// <summary>True when retrying will not help (5xx replies and local permanent conditions); false when it may.</summary>
    public bool Permanent { get; }

    /// <summary>The command the failure belongs to.</summary>
    public SmtpCommand Command { get; }

    /// <summary>
    /// What the server said: reply code (0 when the failure was not a server reply), enhanced status code,
    /// first line and further lines; with this exception's command, permanence and reason.
    /// </summary>
    public SmtpResponse Response { get; }

    /// <summary>
    /// True when the whole message, including the end-of-data marker, had been written to the server
    /// before the failure. If the final reply was then lost, the server may have accepted the message:
    /// a retry risks a duplicate (RFC 1047).
    /// </summary>
    public bool MessageDataSent { get; init; }

    /// <summary>
    /// True when the whole message had been sent but no reply to the end of data came (the connection
    /// failed or timed out): the server may or may not have accepted it, so neither "delivered" nor a
    /// definite refusal can be reported. The queue decides between a later retry, which risks a duplicate,
    /// and giving up (RFC 1047). False for every definite answer: after a 4xx or 5xx to the end of data,
    /// <see cref="MessageDataSent"/> is true and this is false, and the reply code is the verdict.
    /// </summary>
    public bool DeliveryUncertain { get; init; }

    /// <summary>
    /// For <see cref="SmtpErrorReason.NoRecipients"/>: the reply to each recipient, in order, so that each
    /// can be judged on its own (some may be permanent, others temporary). For failures after the message
    /// data (<see cref="MessageDataSent"/>): the replies to the RCPT commands of the transaction, in order.
    /// </summary>
    public IReadOnlyList<SmtpResponse> RecipientResponses { get; init; } = [];

    /// <summary>A copy for a failure after the whole message was sent: <see cref="MessageDataSent"/> set, with the RCPT replies.</summary>
    internal SmtpException AfterMessageData(bool uncertain, IReadOnlyList<SmtpResponse> recipientResponses) =>
        new(Reason, Permanent && !uncertain, Command, base.Message, Response, InnerException)
        {
            MessageDataSent = true,
            DeliveryUncertain = uncertain,
            RecipientResponses = recipientResponses,
        };

    /// <inheritdoc/>
    public override string Message
    {
        get
        {
            var kind = Permanent ? "permanent" : "transient";
            return Response.Line.Length > 0 ? $"{base.Message}, {kind}: {Response.Line}" : $"{base.Message}, {kind}";
        }
    }
}
