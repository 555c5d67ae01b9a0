using SmtpDeliver;

namespace QueueWorker;

/// <summary>One recipient of a spooled message and where its delivery stands.</summary>
internal sealed class SpoolRecipient
{
    /// <summary>The address as on the wire, without angle brackets.</summary>
    public required string Address { get; init; }

    /// <summary>Where its delivery stands.</summary>
    public SpoolRecipientState State { get; set; }

    /// <summary>NOTIFY (RFC 3461 4.1); <see cref="DsnNotify.Default"/> for none given.</summary>
    public DsnNotify Notify { get; init; }

    /// <summary>ORCPT (RFC 3461 4.2) as an address, or null.</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>The last error or reply for this recipient, for the operator.</summary>
    public string? LastError { get; set; }
}
