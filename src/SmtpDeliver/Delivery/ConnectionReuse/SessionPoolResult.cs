namespace SmtpDeliver.Delivery;

/// <summary>The values of the <see cref="SmtpMetrics.SessionPoolResultTag"/> tag.</summary>
internal static class SessionPoolResult
{
    /// <summary>An idle session fit for the message was taken.</summary>
    public const string Hit = "hit";

    /// <summary>None was: a new connection is opened.</summary>
    public const string Miss = "miss";

    /// <summary>A reused session failed before any message data was sent (closed by the server while idle); retried on a new connection.</summary>
    public const string Stale = "stale";
}
