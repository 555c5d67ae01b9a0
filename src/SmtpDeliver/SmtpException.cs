namespace SmtpDeliver;

/// <summary>
/// An SMTP operation failed. The fields say whether to retry (<see cref="Permanent"/>), what the server
/// said (<see cref="Code"/>, <see cref="Secode"/>, <see cref="Line"/>, <see cref="MoreLines"/>), to which
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
        Code = response?.Code ?? 0;
        Secode = response?.Secode ?? string.Empty;
        Line = response?.Line ?? string.Empty;
        MoreLines = response?.MoreLines ?? [];
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

    /// <summary>The reply code, e.g. 550; 0 when the failure was not a server reply.</summary>
    public int Code { get; }

    /// <summary>The enhanced status code without its class digit, e.g. "7.0"; empty when none.</summary>
    public string Secode { get; }

    /// <summary>The first reply line as received; empty when the failure was not a server reply.</summary>
    public string Line { get; }

    /// <summary>Further lines of a multi-line reply.</summary>
    public IReadOnlyList<string> MoreLines { get; }

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
        new(Reason, Permanent && !uncertain, Command, base.Message, ToResponse(), InnerException)
        {
            MessageDataSent = true,
            DeliveryUncertain = uncertain,
            RecipientResponses = recipientResponses,
        };

    /// <summary>The failure as a per-recipient response.</summary>
    public SmtpResponse ToResponse() => new()
    {
        Code = Code,
        Secode = Secode,
        Command = Command,
        Line = Line,
        MoreLines = MoreLines,
        Permanent = Permanent,
        Reason = Reason,
    };

    /// <inheritdoc/>
    public override string Message
    {
        get
        {
            var kind = Permanent ? "permanent" : "transient";
            return Line.Length > 0 ? $"{base.Message}, {kind}: {Line}" : $"{base.Message}, {kind}";
        }
    }
}
