namespace SmtpDeliver.Delivery;

/// <summary>What happened to one recipient.</summary>
public enum RecipientStatus
{
    /// <summary>The server accepted the message for the recipient.</summary>
    Delivered,
    /// <summary>Refused for good: bounce.</summary>
    Permanent,
    /// <summary>Not delivered this time: retry later.</summary>
    Transient,
    /// <summary>
    /// The whole message was sent but no reply to the end of data came: the server may have accepted it.
    /// Never retried at another host within the attempt; the queue decides between a later retry, which
    /// risks a duplicate, and giving up (RFC 1047).
    /// </summary>
    Uncertain,
}
