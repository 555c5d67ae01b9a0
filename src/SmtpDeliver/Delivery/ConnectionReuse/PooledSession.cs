using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Delivery;

/// <summary>
/// A session the deliverer may keep for later messages, with what its reuse limits are judged on. It is
/// in one place at a time: idle in the <see cref="SessionPool"/>, or used by one delivery attempt.
/// </summary>
internal sealed class PooledSession(SmtpClientSession session, SessionKey key, long opened, TlsRptResult domainRecord, TlsRptResult hostRecord)
{
    public SmtpClientSession Session { get; } = session;

    public SessionKey Key { get; } = key;

    /// <summary>When the connection was opened (a <see cref="TimeProvider"/> timestamp).</summary>
    public long Opened { get; } = opened;

    /// <summary>When it last went idle.</summary>
    public long IdleSince { get; set; }

    /// <summary>Delivery attempts that took it (the first included).</summary>
    public int Uses { get; set; } = 1;

    /// <summary>Transactions (MAIL commands) on it, for MAILMAX (RFC 9422).</summary>
    public int Transactions { get; set; }

    /// <summary>False once something made it unfit for another message (a 421, an error mid-transaction).</summary>
    public bool Reusable { get; set; } = true;

    /// <summary>
    /// Adds the TLSRPT counts and failure details the session's own STARTTLS produced (RFC 8460 4.3) to
    /// the results of the delivery attempt using it: each attempt over the session counts as the session
    /// counted once, as a new connection with the same outcome would.
    /// </summary>
    public void ReplayTlsResults(TlsRptResult domainResult, TlsRptResult hostResult)
    {
        Replay(domainRecord, domainResult);
        Replay(hostRecord, hostResult);
    }

    private static void Replay(TlsRptResult from, TlsRptResult to)
    {
        var summary = from.Summary;
        to.Add(summary.TotalSuccessfulSessionCount, summary.TotalFailureSessionCount, [.. from.FailureDetails]);
    }
}
