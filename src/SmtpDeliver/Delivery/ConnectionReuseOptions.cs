namespace SmtpDeliver.Delivery;

/// <summary>
/// How the <see cref="Deliverer"/> keeps idle SMTP sessions for later messages to the same MX address, as
/// Postfix's smtp(8) connection cache does (docs/connection-reuse.md). A session is reused only for a
/// message whose TLS demands (STARTTLS required or not, PKIX enforced for which name, DANE records,
/// verification errors ignored) are exactly those it was set up under, so a message never travels over a
/// session verified under less than its policy needs.
/// </summary>
public sealed record ConnectionReuseOptions
{
    /// <summary>Reuse on, with the defaults below.</summary>
    public static ConnectionReuseOptions Default { get; } = new();

    /// <summary>Reuse off: every connection attempt opens a new connection and ends it with QUIT.</summary>
    public static ConnectionReuseOptions Disabled { get; } = new() { Enabled = false };

    /// <summary>Whether idle sessions are kept and reused; <c>true</c> by default.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Keep a session only when there is demand for it, as Postfix's smtp_connection_cache_on_demand (on by
    /// default there and here): another delivery to the same MX address is waiting or under way, one by
    /// another call ended within <see cref="IdleTimeout"/>, or more messages of the same
    /// <see cref="Deliverer.DeliverBatchAsync"/> follow. A lone message is thus ended with QUIT at once, and a
    /// stream of messages (even from serial calls) runs over few connections. <c>false</c> keeps every session.
    /// </summary>
    public bool OnDemand { get; init; } = true;

    /// <summary>
    /// How long a session may stay idle before it is closed with QUIT; 2 seconds by default, Postfix's
    /// smtp_connection_cache_time_limit. Servers close idle sessions themselves after a while (RFC 5321
    /// 4.5.3.2.7 allows 5 minutes), which a reused session survives by a retry on a new connection.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long after it was opened a session is no longer reused (it is closed with QUIT when it comes
    /// back); 300 seconds by default, Postfix's smtp_connection_reuse_time_limit.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// How many delivery attempts one session serves before it is closed with QUIT; <c>null</c> (the
    /// default) for no limit beyond <see cref="MaxAge"/>, as Postfix's smtp_connection_reuse_count_limit = 0.
    /// A server's LIMITS MAILMAX (RFC 9422) always applies as well.
    /// </summary>
    public int? MaxUses { get; init; }

    /// <summary>At most this many idle sessions are kept in all; 100 by default. Past it the oldest is closed.</summary>
    public int MaxIdleSessions { get; init; } = 100;
}
