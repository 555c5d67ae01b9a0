using System.Runtime.CompilerServices;
using MimeKit;

namespace SmtpDeliver.Mime;

/// <summary>
/// Delivers MimeKit messages over an <see cref="SmtpClientSession"/>, e.g. for an application submitting through
/// its provider with AUTH: the message is streamed (never held whole in memory), its requirements (8BITMIME,
/// SMTPUTF8, BINARYMIME) found from the message and the envelope, Bcc kept out of the bytes. See docs/mimekit.md.
/// </summary>
public static class SmtpClientSessionMimeExtensions
{
    /// <summary>
    /// Delivers <paramref name="message"/> with the envelope taken from it, as MailKit does: the Sender (or first
    /// From) mailbox and every To, Cc and Bcc mailbox once; with Resent-Sender or Resent-From, the Resent-*
    /// headers instead (RFC 5322 3.6.6).
    /// </summary>
    /// <returns>One response per envelope recipient, in order (see <see cref="SmtpClientSession.DeliverMultipleAsync(EnvelopeAddress, IReadOnlyList{EnvelopeAddress}, long, Stream, DeliveryRequirements, DsnRequest, CancellationToken)"/>).</returns>
    /// <exception cref="ArgumentException">The message has no sender or no recipient mailbox.</exception>
    /// <exception cref="FormatException">A mailbox is not a valid RFC 5321/6531 address; nothing was sent.</exception>
    /// <exception cref="SmtpException">
    /// The transaction failed; when the message changed while it was sent, the connection is closed and the
    /// <see cref="Exception.InnerException"/> is a <see cref="MimeMessageChangedException"/>.
    /// </exception>
    public static Task<IReadOnlyList<SmtpResponse>> DeliverMessageAsync(this SmtpClientSession session, MimeMessage message, MimeDeliveryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        var (mailFrom, recipients) = MimeEnvelope.From(message);
        return DeliverMessageAsync(session, message, mailFrom, recipients, options, cancellationToken);
    }

    /// <summary>Delivers <paramref name="message"/> to the envelope given (the message's own addresses are not used for it).</summary>
    /// <returns>One response per recipient, in order.</returns>
    /// <exception cref="ArgumentException">No recipients, or the null reverse-path as a recipient.</exception>
    /// <exception cref="SmtpException">
    /// The transaction failed; when the message changed while it was sent, the connection is closed and the
    /// <see cref="Exception.InnerException"/> is a <see cref="MimeMessageChangedException"/>.
    /// </exception>
    public static Task<IReadOnlyList<SmtpResponse>> DeliverMessageAsync(this SmtpClientSession session, MimeMessage message, EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> recipients, MimeDeliveryOptions? options = null, CancellationToken cancellationToken = default) =>
        // A pooled state machine, as for SmtpClientSession.DeliverMultipleAsync.
        DeliverMessageCoreAsync(session, message, mailFrom, recipients, options, cancellationToken).AsTask();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<IReadOnlyList<SmtpResponse>> DeliverMessageCoreAsync(SmtpClientSession session, MimeMessage message, EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> recipients, MimeDeliveryOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(recipients);
        options ??= MimeDeliveryOptions.Default;
        var envelopeNeedsSmtpUtf8 = mailFrom.RequiresSmtpUtf8;
        foreach (var r in recipients)
        {
            if (r is null || r.IsNullReversePath)
            {
                throw new ArgumentException("a recipient is null or the null reverse-path", nameof(recipients));
            }
            envelopeNeedsSmtpUtf8 |= r.RequiresSmtpUtf8;
        }
        var tls = options.RequireTls ? DeliveryRequirements.RequireTls : DeliveryRequirements.None;
        var (format, structural) = MimeMessageSource.Formatting(message, envelopeNeedsSmtpUtf8, options.HideBcc);
        if (!options.MeasureFirst && session.CanDeliverUnmeasured(structural | tls))
        {
            // Pipelined BDAT: the message is written once, straight into the chunks; its size and 8-bit content
            // are known from the first chunk when it fits in one (SmtpClientSession.Chunking.cs).
            var unmeasured = new MimeMessageStream(message, format, size: null);
            await using (unmeasured.ConfigureAwait(false))
            {
                return await session.DeliverMultipleCoreAsync(mailFrom, recipients, SmtpClientSession.UnknownSize, unmeasured, structural | tls, options.Dsn, cancellationToken, sizeKnown: false).ConfigureAwait(false);
            }
        }
        var source = await MimeMessageSource.PrepareAsync(message, envelopeNeedsSmtpUtf8, options.HideBcc, cancellationToken).ConfigureAwait(false);
        var stream = source.Open();
        await using (stream.ConfigureAwait(false))
        {
            return await session.DeliverMultipleAsync(mailFrom, recipients, source.Size, stream, source.Requirements | tls, options.Dsn, cancellationToken).ConfigureAwait(false);
        }
    }
}
