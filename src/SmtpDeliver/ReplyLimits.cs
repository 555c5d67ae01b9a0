namespace SmtpDeliver;

/// <summary>
/// Caps on what a server can make the client buffer, so a hostile server cannot exhaust memory.
/// With the defaults a connection holds at most about 64 KiB of reply text.
/// </summary>
public sealed record ReplyLimits
{
    /// <summary>The defaults.</summary>
    public static ReplyLimits Default { get; } = new();

    /// <summary>
    /// Maximum bytes of one reply line including CR, before the LF (RFC 5321 4.5.3.1.5 says 512; like
    /// mox, 2047 are accepted to tolerate long texts). Longer lines fail with
    /// <see cref="SmtpErrorReason.ReplyTooLong"/>.
    /// </summary>
    public int MaxLineLength { get; init; } = 2047;

    /// <summary>Maximum lines in one multi-line reply.</summary>
    public int MaxLinesPerReply { get; init; } = 256;

    /// <summary>Maximum bytes of all lines of one reply together.</summary>
    public int MaxReplyBytes { get; init; } = 64 * 1024;
}
