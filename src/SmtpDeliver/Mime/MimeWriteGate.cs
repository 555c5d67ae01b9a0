using System.Runtime.CompilerServices;
using MimeKit;

namespace SmtpDeliver.Mime;

/// <summary>
/// One MimeKit write of a given message at a time. Writing is not thread-safe in MimeKit: a part's content
/// stream is shared (its position moves) and the message sets state while it writes, so two writers of the
/// same message at once could interleave their bytes. Streams of one message therefore take turns.
/// </summary>
internal static class MimeWriteGate
{
    private static readonly ConditionalWeakTable<MimeMessage, SemaphoreSlim> Gates = new();

    /// <summary>The gate of <paramref name="message"/>; it lives as long as the message.</summary>
    public static SemaphoreSlim For(MimeMessage message) => Gates.GetValue(message, static _ => new SemaphoreSlim(1, 1));
}
