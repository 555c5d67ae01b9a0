namespace SmtpDeliver.Bounces;

/// <summary>What of the original message a notification returns (RFC 3461 4.3, RFC 3462 2).</summary>
public enum ReturnedContent
{
    /// <summary>Nothing: no original message was given.</summary>
    None,
    /// <summary>The whole message, as message/rfc822 (or message/global, RFC 6533 3.3).</summary>
    FullMessage,
    /// <summary>Only the header section, as text/rfc822-headers (or message/global-headers, RFC 6533 3.4).</summary>
    Headers,
    /// <summary>The header section cut at the last whole line within the size cap.</summary>
    TruncatedHeaders,
}
