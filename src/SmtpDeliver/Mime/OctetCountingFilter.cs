using MimeKit.IO.Filters;

namespace SmtpDeliver.Mime;

/// <summary>
/// A pass-through MimeKit filter that counts the octets written through it and notes whether any is 8-bit
/// (RFC 6152 2: octets above 127 need 8BITMIME). With <see cref="MimeKit.IO.FilteredStream"/> over
/// <see cref="Stream.Null"/> it is the measuring pass of <see cref="MimeMessageSource"/>: nothing is kept.
/// </summary>
internal sealed class OctetCountingFilter : MimeFilterBase
{
    /// <summary>The octets written so far.</summary>
    public long Count { get; private set; }

    /// <summary>True when an octet above 127 was written.</summary>
    public bool HasEightBit { get; private set; }

    /// <inheritdoc/>
    protected override byte[] Filter(byte[] input, int startIndex, int length, out int outputIndex, out int outputLength, bool flush)
    {
        Count += length;
        if (!HasEightBit && input.AsSpan(startIndex, length).IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0)
        {
            HasEightBit = true;
        }
        outputIndex = startIndex;
        outputLength = length;
        return input;
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        Count = 0;
        HasEightBit = false;
    }
}
