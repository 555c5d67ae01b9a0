namespace SmtpDeliver.Delivery;

/// <summary>The outcome for one recipient.</summary>
/// <param name="Address">The recipient.</param>
/// <param name="Status">Delivered, permanent or transient.</param>
/// <param name="Response">The server's reply, when there was one.</param>
/// <param name="Error">Why it was not delivered; empty when delivered.</param>
public sealed record RecipientOutcome(EnvelopeAddress Address, RecipientStatus Status, SmtpResponse? Response, string Error)
{
    /// <summary>
    /// The MX host whose reply decided this outcome (a bounce's Remote-MTA, RFC 3464 2.3.5); empty when no
    /// server replied for this recipient (e.g. no host could be reached).
    /// </summary>
    public Names.Domain RemoteHost { get; init; }
}
