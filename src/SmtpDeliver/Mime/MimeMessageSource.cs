using MimeKit;
using MimeKit.IO;

namespace SmtpDeliver.Mime;

/// <summary>
/// A MimeKit message prepared for delivery: how it is written (CRLF line ends, RFC 6532 UTF-8 headers only
/// when SMTPUTF8 is needed anyway, hidden Bcc), its size from a measuring pass that keeps no bytes, and what it
/// needs from the server. <see cref="Open"/> gives a stream that writes the message again on demand; every
/// open writes the same bytes, or fails with <see cref="MimeMessageChangedException"/>.
/// </summary>
internal sealed class MimeMessageSource
{
    private readonly MimeMessage _message;
    private readonly FormatOptions _format;

    private MimeMessageSource(MimeMessage message, FormatOptions format, long size, DeliveryRequirements requirements)
    {
        _message = message;
        _format = format;
        Size = size;
        Requirements = requirements;
    }

    /// <summary>The message size in bytes, as sent (before dot-stuffing).</summary>
    public long Size { get; }

    /// <summary>What the message and the envelope need: 8BITMIME, SMTPUTF8, BINARYMIME (never REQUIRETLS).</summary>
    public DeliveryRequirements Requirements { get; }

    /// <summary>The formatting used, for tests.</summary>
    internal FormatOptions Format => _format;

    /// <summary>Prepares <paramref name="message"/>; <paramref name="envelopeNeedsSmtpUtf8"/> when an envelope address has a non-ASCII local part.</summary>
    public static MimeMessageSource Prepare(MimeMessage message, bool envelopeNeedsSmtpUtf8, bool hideBcc)
    {
        var (format, requirements) = Formatting(message, envelopeNeedsSmtpUtf8, hideBcc);
        var gate = MimeWriteGate.For(message);
        // Synchronous: never blocks on another delivery's writer (that waits for a network peer).
        if (!gate.Wait(0))
        {
            throw new InvalidOperationException("the MIME message is being written for another delivery; prepare every delivery of it before sending any");
        }
        try
        {
            var (measuring, counter) = Measuring();
            using (measuring)
            {
                message.WriteTo(format, measuring);
                measuring.Flush();
            }
            return Measured(message, format, requirements, counter);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>As <see cref="Prepare"/>, measuring asynchronously (a part's content may be a file).</summary>
    public static async Task<MimeMessageSource> PrepareAsync(MimeMessage message, bool envelopeNeedsSmtpUtf8, bool hideBcc, CancellationToken cancellationToken)
    {
        var (format, requirements) = Formatting(message, envelopeNeedsSmtpUtf8, hideBcc);
        var gate = MimeWriteGate.For(message);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (measuring, counter) = Measuring();
            await using (measuring.ConfigureAwait(false))
            {
                await message.WriteToAsync(format, measuring, cancellationToken).ConfigureAwait(false);
                await measuring.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            return Measured(message, format, requirements, counter);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// How the message is written (CRLF, UTF-8 headers only with SMTPUTF8, hidden Bcc) and what its structure and
    /// the envelope need (SMTPUTF8, BINARYMIME; 8BITMIME only when a pass over the bytes sees it).
    /// </summary>
    internal static (FormatOptions Format, DeliveryRequirements Requirements) Formatting(MimeMessage message, bool envelopeNeedsSmtpUtf8, bool hideBcc)
    {
        ArgumentNullException.ThrowIfNull(message);
        var requirements = MimeRequirements.FromStructure(message);
        if (envelopeNeedsSmtpUtf8)
        {
            requirements |= DeliveryRequirements.SmtpUtf8;
        }
        var format = FormatFor((requirements & DeliveryRequirements.SmtpUtf8) != 0, hideBcc);
        return (format, requirements);
    }

    // The four ways a message is written, made once: a FormatOptions (with its hidden-header set) per message would be
    // a few hundred bytes each time. MimeKit only reads the options it is given, and nothing here changes them.
    private static readonly FormatOptions[] Formats = [NewFormat(false, false), NewFormat(false, true), NewFormat(true, false), NewFormat(true, true)];

    private static FormatOptions FormatFor(bool international, bool hideBcc) => Formats[(international ? 2 : 0) + (hideBcc ? 1 : 0)];

    private static FormatOptions NewFormat(bool international, bool hideBcc)
    {
        var format = new FormatOptions
        {
            // RFC 5321 2.3.8: lines end with CRLF; the last one too (DATA's end marker follows it).
            NewLineFormat = NewLineFormat.Dos,
            EnsureNewLine = true,
            // RFC 6532 3.2: UTF-8 header values only when the transaction is SMTPUTF8 anyway; otherwise
            // MimeKit keeps RFC 2047 encoded words and A-label domains.
            International = international,
        };
        if (hideBcc)
        {
            format.HiddenHeaders.Add(HeaderId.Bcc);
            format.HiddenHeaders.Add(HeaderId.ResentBcc);
        }
        return format;
    }

    // The measuring pass keeps no bytes: MimeKit writes through a counting filter into Stream.Null.
    private static (FilteredStream Stream, OctetCountingFilter Counter) Measuring()
    {
        var counter = new OctetCountingFilter();
        var stream = new FilteredStream(Stream.Null);
        stream.Add(counter);
        return (stream, counter);
    }

    private static MimeMessageSource Measured(MimeMessage message, FormatOptions format, DeliveryRequirements requirements, OctetCountingFilter counter)
    {
        if (counter.HasEightBit)
        {
            // RFC 6152: octets above 127 anywhere in the message.
            requirements |= DeliveryRequirements.EightBitMime;
        }
        return new MimeMessageSource(message, format, counter.Count, requirements);
    }

    /// <summary>A new stream of the message's bytes, written on demand as it is read (asynchronously).</summary>
    public Stream Open() => new MimeMessageStream(_message, _format, Size);
}
