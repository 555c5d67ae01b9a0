namespace SmtpDeliver.Bounces;

/// <summary>
/// The part of the original message a notification may return, read with a bound: at most the cap plus one
/// byte, so a huge or endless stream costs no more memory than the cap.
/// </summary>
internal sealed class OriginalMessagePrefix
{
    private OriginalMessagePrefix(byte[] bytes, bool complete)
    {
        Bytes = bytes;
        Complete = complete;
    }

    /// <summary>The bytes read, at most the cap.</summary>
    public byte[] Bytes { get; }

    /// <summary>True when the whole message was read (it is at most the cap).</summary>
    public bool Complete { get; }

    public static async Task<OriginalMessagePrefix> ReadAsync(Func<Stream> open, int cap, CancellationToken cancellationToken)
    {
        var stream = open() ?? throw new InvalidOperationException("OpenOriginalMessage returned null");
        await using (stream.ConfigureAwait(false))
        {
            // Grows with what is read, so a large cap costs memory only for a message that large.
            using var collected = new MemoryStream();
            var chunk = new byte[16 * 1024];
            var limit = (long)cap + 1;
            while (collected.Length < limit)
            {
                var want = (int)Math.Min(chunk.Length, limit - collected.Length);
                var n = await stream.ReadAsync(chunk.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                collected.Write(chunk, 0, n);
            }
            var complete = collected.Length <= cap;
            var bytes = collected.GetBuffer().AsSpan(0, (int)Math.Min(collected.Length, cap)).ToArray();
            return new OriginalMessagePrefix(bytes, complete);
        }
    }

    /// <summary>
    /// The header section with the CRLF ending its last line (without the empty line, RFC 5322 2.1), and whether it
    /// had to be cut at the last line end within the bytes read.
    /// </summary>
    public (byte[] Headers, bool Truncated) HeaderSection()
    {
        var span = Bytes.AsSpan();
        var end = span.IndexOf("\r\n\r\n"u8);
        if (end >= 0)
        {
            return (span[..(end + 2)].ToArray(), false);
        }
        if (Complete)
        {
            // A message of only headers.
            return (EndWithLineBreak(span), false);
        }
        var lastLine = span.LastIndexOf("\r\n"u8);
        return (lastLine < 0 ? [] : span[..(lastLine + 2)].ToArray(), true);
    }

    private static byte[] EndWithLineBreak(ReadOnlySpan<byte> span) =>
        span.Length == 0 || span.EndsWith("\r\n"u8) ? span.ToArray() : [.. span, (byte)'\r', (byte)'\n'];
}
