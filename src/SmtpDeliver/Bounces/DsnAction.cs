namespace SmtpDeliver.Bounces;

/// <summary>The Action field of a per-recipient delivery status (RFC 3464 2.3.3).</summary>
public enum DsnAction
{
    /// <summary><c>failed</c>: the message could not be delivered and will not be retried.</summary>
    Failed,
    /// <summary><c>delayed</c>: not delivered yet; the reporting MTA keeps trying.</summary>
    Delayed,
    /// <summary><c>delivered</c>: delivered to the recipient (sent only with NOTIFY=SUCCESS).</summary>
    Delivered,
    /// <summary><c>relayed</c>: passed to an MTA that does not announce DSN (RFC 3461 6.2.1.1).</summary>
    Relayed,
    /// <summary><c>expanded</c>: delivered and then forwarded to several recipients (RFC 3461 6.2.1.2).</summary>
    Expanded,
}
