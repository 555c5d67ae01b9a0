namespace SmtpDeliver;

/// <summary>
/// How long the client waits for each step. Defaults follow RFC 5321 4.5.3.2 where it gives a
/// minimum, and are shorter for steps it does not cover. Each reply has one deadline for all of it, however slowly it comes; the
/// message data has one for the whole DATA phase, derived from its size (<see cref="MinimumDataRate"/>).
/// </summary>
public sealed record SmtpTimeouts
{
    /// <summary>The defaults.</summary>
    public static SmtpTimeouts Default { get; } = new();

    /// <summary>Waiting for the 220 greeting (RFC 5321 4.5.3.2.1: 5 minutes).</summary>
    public TimeSpan Greeting { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Waiting for the reply to EHLO, HELO, STARTTLS, AUTH steps and RSET.</summary>
    public TimeSpan Command { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>The TLS handshake, implicit or after STARTTLS.</summary>
    public TimeSpan TlsHandshake { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>Waiting for the reply to MAIL (RFC 5321 4.5.3.2.2: 5 minutes).</summary>
    public TimeSpan Mail { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Waiting for the reply to each RCPT (RFC 5321 4.5.3.2.3: 5 minutes).</summary>
    public TimeSpan Rcpt { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Waiting for the 354 reply to DATA (RFC 5321 4.5.3.2.4: 2 minutes).</summary>
    public TimeSpan DataInitiation { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Each write of message data (RFC 5321 4.5.3.2.5: 3 minutes), and each command write.</summary>
    public TimeSpan DataBlock { get; init; } = TimeSpan.FromMinutes(3);
    /// <summary>
    /// The slowest rate, in bytes per second, at which a server may take message data: the whole DATA
    /// phase must end within <see cref="DataBlock"/> plus the message size divided by this rate, so a server
    /// that accepts a byte now and then cannot hold the session for ever. The default, 4 KiB/s (32 kbit/s),
    /// gives a 1 MB message 3 minutes plus about 4 minutes; 0 turns the bound off (only each write is bounded).
    /// </summary>
    public int MinimumDataRate { get; init; } = 4096;

    /// <summary>Waiting for the final reply after the end of data (RFC 5321 4.5.3.2.6: 10 minutes).</summary>
    public TimeSpan DataTermination { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Waiting for the reply to QUIT when closing.</summary>
    public TimeSpan Quit { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The same timeout for every step; convenient for tests and scripts.</summary>
    public static SmtpTimeouts All(TimeSpan timeout) => new()
    {
        Greeting = timeout,
        Command = timeout,
        TlsHandshake = timeout,
        Mail = timeout,
        Rcpt = timeout,
        DataInitiation = timeout,
        DataBlock = timeout,
        DataTermination = timeout,
        Quit = timeout < TimeSpan.FromSeconds(5) ? timeout : TimeSpan.FromSeconds(5),
    };

    /// <summary>How long the whole DATA phase of a message of <paramref name="messageSize"/> bytes may take.</summary>
    internal TimeSpan DataPhase(long messageSize)
    {
        if (MinimumDataRate <= 0)
        {
            return Timeout.InfiniteTimeSpan;
        }
        // Beyond a timer's range (about 49 days) the bound means nothing: no deadline rather than an overflow.
        var seconds = DataBlock.TotalSeconds + ((double)Math.Max(0, messageSize) / MinimumDataRate);
        return seconds >= MaxTimerSeconds ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// How much longer the DATA phase may take for <paramref name="bytes"/> more bytes, at
    /// <see cref="MinimumDataRate"/>: the phase of a message whose size is learnt as it is sent grows by this per
    /// chunk, to the same bound <see cref="DataPhase"/> gives a message of known size.
    /// </summary>
    internal TimeSpan DataTime(long bytes) =>
        MinimumDataRate <= 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(Math.Min((double)Math.Max(0, bytes) / MinimumDataRate, MaxTimerSeconds));

    /// <summary>The longest timer .NET can arm (uint.MaxValue - 1 milliseconds).</summary>
    internal const double MaxTimerSeconds = 4_294_967.294;

    /// <summary>
    /// Arms <paramref name="source"/> to cancel after <paramref name="timeout"/>; a timeout beyond a timer's range (or infinite) never fires.
    /// The timer runs on the clock the source was created with (<c>new CancellationTokenSource(delay, timeProvider)</c>,
    /// <see cref="TimeoutSource"/>), so a fake clock in tests drives it.
    /// </summary>
    internal static void CancelAfter(CancellationTokenSource source, TimeSpan timeout)
    {
        if (timeout != Timeout.InfiniteTimeSpan && timeout.TotalSeconds < MaxTimerSeconds)
        {
            source.CancelAfter(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout);
        }
    }
}
