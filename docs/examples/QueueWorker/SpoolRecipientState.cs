namespace QueueWorker;

/// <summary>Where one recipient's delivery stands.</summary>
internal enum SpoolRecipientState
{
    /// <summary>Not delivered yet: tried when the message is due.</summary>
    Pending,

    /// <summary>The server accepted it.</summary>
    Delivered,

    /// <summary>Refused for good, or given up: the sender was notified (when asked).</summary>
    Failed,

    /// <summary>
    /// The message was sent but no verdict came: maybe delivered. Never resent automatically (a duplicate is as bad as
    /// a loss, RFC 1047); the message goes to the hold directory for the operator.
    /// </summary>
    Uncertain,
}
