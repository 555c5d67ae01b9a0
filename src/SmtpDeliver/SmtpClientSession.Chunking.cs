using System.Runtime.CompilerServices;
using SmtpDeliver.Diagnostics;

namespace SmtpDeliver;

// RFC 3030: the message in BDAT chunks instead of DATA (docs/chunking.md).
public sealed partial class SmtpClientSession
{
    /// <summary>
    /// BDAT when the message needs BINARYMIME (DATA cannot carry it), else when the server announced CHUNKING
    /// and PIPELINING and <see cref="SmtpSessionOptions.UseChunking"/> is on. Without PIPELINING every BDAT
    /// waits for its reply, so there is no single flight to gain, only DATA's 354 round trip: DATA stays, the
    /// path every server has exercised most.
    /// </summary>
    private bool UsesBdat(DeliveryRequirements requirements) =>
        (requirements & DeliveryRequirements.BinaryMime) != 0
        || (_options.UseChunking && Extensions.Chunking && Extensions.Pipelining);

    private void CheckBinaryMime(DeliveryRequirements requirements)
    {
        if ((requirements & DeliveryRequirements.BinaryMime) != 0 && !(Extensions.BinaryMime && Extensions.Chunking))
        {
            // Permanent: this server will never take the message as it is (RFC 3030 3), as for 8BITMIME.
            throw new SmtpException(SmtpErrorReason.BinaryMimeUnsupported, true, SmtpCommand.None,
                "server does not implement the binarymime and chunking extensions, required by the message");
        }
    }

    private ValueTask<SmtpResponse[]> SendChunkedAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, Stream message, DeliveryRequirements requirements, DsnParameters? dsn, CancellationToken cancellationToken) =>
        Extensions.Pipelining
            ? SendChunkedPipelinedAsync(mailFrom, rcptTo, messageSize, message, requirements, dsn, cancellationToken)
            : SendChunkedLockStepAsync(mailFrom, rcptTo, messageSize, message, requirements, dsn, cancellationToken);

    // RFC 3030 2 with RFC 2920 3.1: MAIL, every RCPT and the first chunk in one write; further chunks are
    // written without waiting for replies, which are read concurrently, one per command, so neither side's
    // buffers can fill up and stall the other. A message of up to one chunk is one flight.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpResponse[]> SendChunkedPipelinedAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, Stream message, DeliveryRequirements requirements, DsnParameters? dsn, CancellationToken cancellationToken)
    {
        ThrowIfUnasked(SmtpCommand.MailFrom);
        using var chunks = new BdatWriter(message, (requirements & DeliveryRequirements.BinaryMime) != 0, messageSize >= 0 ? messageSize : BdatWriter.ChunkSize);
        if (messageSize == UnknownSize && Extensions.Size && Extensions.MaxSize > 0)
        {
            // RFC 1870 6: a message of unknown size is held to the server's limit chunk by chunk; the chunk that would
            // pass it is not sent (nor LAST), as a known size over the limit is refused before MAIL.
            chunks.SizeLimit = Extensions.MaxSize;
        }
        // The first chunk is read before the envelope is composed: for a message of unknown size it tells the
        // size and 8-bit content when the message fits in it.
        bool firstIsLast;
        try
        {
            firstIsLast = await chunks.FillAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not SmtpException)
        {
            // Nothing was buffered or written: the session stays in step.
            throw MessageError(e);
        }
        if (messageSize == UnknownSize)
        {
            (messageSize, requirements) = SizeAndBodyOfUnmeasured(chunks, firstIsLast, requirements);
        }
        AppendMailFrom(mailFrom, messageSize, requirements, dsn);
        for (var i = 0; i < rcptTo.Count; i++)
        {
            AppendRcptTo(rcptTo[i], (requirements & DeliveryRequirements.SmtpUtf8) != 0, dsn?.Recipients[i]);
        }
        chunks.AppendFilled(_transport);

        var progress = Interlocked.Exchange(ref _idleBdatProgress, null) ?? new BdatProgress();
        using var progressReturn = new BdatProgressReturn(this, progress);
        // The size-based bound of the whole data phase and the per-block limit, as for DATA (the envelope
        // shares the first write). Of unknown size, the bound starts from the first chunk and grows with each
        // further one, so it ends where a known size would have put it.
        var sizeUnknown = messageSize == UnknownSize;
        _transport.StartDataDeadline(_timeouts.DataPhase(sizeUnknown ? chunks.Written : messageSize), _timeouts.DataBlock);
        var write = WriteChunksAsync(chunks, firstIsLast, progress, sizeUnknown, cancellationToken);

        Reply? mail = null;
        var responses = new SmtpResponse[rcptTo.Count];
        var recipientsRead = false;
        // RCPT replies read: those after it were lost, and their recipients' fate is unknown once the message went out.
        var rcptRead = 0;
        var accepted = 0;
        SmtpException? readError = null;
        Reply? refusal = null;
        Reply? final = null;
        try
        {
            try
            {
                mail = await ReadAsync(SmtpCommand.MailFrom, _timeouts.Mail, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < rcptTo.Count; i++)
                {
                    responses[i] = RcptResponse(await ReadAsync(SmtpCommand.RcptTo, _timeouts.Rcpt, cancellationToken).ConfigureAwait(false));
                    accepted += responses[i].IsSuccess ? 1 : 0;
                    rcptRead = i + 1;
                }
                recipientsRead = true;
            }
            catch (SmtpException e)
            {
                readError = e;
                progress.Stop();
            }
            if (!recipientsRead)
            {
                for (var i = 0; i < responses.Length; i++)
                {
                    responses[i] ??= readError!.Response;
                }
            }
            if (mail is { IsPositiveCompletion: false } || accepted == 0)
            {
                // RFC 3030 2: the transaction failed and every chunk will be refused; send no more of them.
                progress.Stop();
            }
            // One reply per chunk written, in order; the deadline for a reply starts once its chunk is written.
            for (var k = 0; readError is null && await progress.WaitWrittenAsync(k, cancellationToken).ConfigureAwait(false); k++)
            {
                var last = progress.IsLast(k);
                Reply reply;
                try
                {
                    reply = await ReadAsync(SmtpCommand.Bdat, last ? _timeouts.DataTermination : _timeouts.DataBlock, cancellationToken).ConfigureAwait(false);
                }
                catch (SmtpException e)
                {
                    readError = e;
                    progress.Stop();
                    break;
                }
                if (last)
                {
                    final = reply;
                    break;
                }
                if (!reply.IsPositiveCompletion && refusal is null)
                {
                    // RFC 3030 2: after a 4xx/5xx to a chunk, no further chunk may be sent.
                    refusal = reply;
                    progress.Stop();
                }
            }
        }
        catch (OperationCanceledException e)
        {
            progress.Stop();
            _transport.Broken = true;
            await ObserveChunkWriterAsync(write).ConfigureAwait(false);
            if (progress.LastWritten && mail is { IsPositiveCompletion: true } && accepted > 0 && refusal is null)
            {
                // As with DATA: cancelled while the server judged the whole message, so the outcome is uncertain.
                throw CanceledAfterData(SmtpCommand.Bdat, e, responses[..rcptRead]);
            }
            throw;
        }
        catch (Exception)
        {
            // Anything else (a failing logger, a bug): the writer must end before its buffers, the message stream and
            // the progress object are released, or they would be reused while it still writes.
            progress.Stop();
            _transport.Broken = true;
            await ObserveChunkWriterAsync(write).ConfigureAwait(false);
            throw;
        }
        var (messageError, writeError, writeCanceled) = await ObserveChunkWriterAsync(write).ConfigureAwait(false);

        if (mail is { IsPositiveCompletion: false } refusedMail)
        {
            throw Status(refusedMail, SmtpCommand.MailFrom, "2xx");
        }
        if (recipientsRead && accepted == 0)
        {
            // The data went out with the envelope, but no recipient was accepted: the recipients' refusals are the
            // answer, whatever the server said to the chunks (RFC 3030 2: it refuses them).
            throw NoneAccepted(responses, "no recipients accepted in pipelined bdat transaction");
        }
        if (messageError is SmtpException unsendable)
        {
            // The message itself cannot go to this server (an undeclared 8-bit octet, or past its SIZE): no LAST was sent.
            throw unsendable;
        }
        if (messageError is not null)
        {
            throw MessageError(messageError);
        }
        if (refusal is { } refused)
        {
            throw ChunkRefused(refused, progress.LastWritten, responses);
        }
        if (writeError is not null)
        {
            // The chunk with LAST was not written whole: the message was not sent, nothing can have been delivered.
            throw writeError;
        }
        if (writeCanceled is not null)
        {
            throw writeCanceled;
        }
        if (readError is not null)
        {
            // The whole message was written and no verdict came: uncertain, exactly as a lost reply to DATA's end.
            throw progress.LastWritten ? readError.AfterMessageData(uncertain: true, responses[..rcptRead]) : readError;
        }
        if (final is not { } finalReply)
        {
            throw _transport.Break(SmtpErrorReason.Protocol, SmtpCommand.Bdat, "bdat writer ended without the last chunk", string.Empty, null);
        }
        return Delivered(finalReply, chunks, responses);
    }

    // The progress object of the last pipelined BDAT transaction, kept for the next one (see BdatProgress.Reset).
    private BdatProgress? _idleBdatProgress;

    /// <summary>
    /// Hands a transaction's <see cref="BdatProgress"/> back to the session when its writer has ended (the normal
    /// case: the reader always waits for it), else disposes it. A struct: the using statement allocates nothing.
    /// </summary>
    private readonly struct BdatProgressReturn(SmtpClientSession session, BdatProgress progress) : IDisposable
    {
        public void Dispose()
        {
            if (progress.WriterHasEnded)
            {
                progress.Reset();
                Volatile.Write(ref session._idleBdatProgress, progress);
            }
            else
            {
                progress.Dispose();
            }
        }
    }

    /// <summary>
    /// For a message of unknown size, from its first chunk (read, not yet appended): when that is the whole message,
    /// its exact size and whether it needs 8BITMIME, checked against the server as a measured message is; otherwise
    /// no size (SIZE is optional, RFC 1870 6) and BODY=8BITMIME whenever the server offers it (the rest is unseen,
    /// and a 7-bit body is valid 8BITMIME, RFC 6152 2); without the extension, a later 8-bit octet stops the message
    /// before its LAST chunk (<see cref="BdatWriter.RefuseEightBit"/>). Throws before anything is buffered.
    /// </summary>
    private (long Size, DeliveryRequirements Requirements) SizeAndBodyOfUnmeasured(BdatWriter chunks, bool whole, DeliveryRequirements requirements)
    {
        if (chunks.FilledEightBit)
        {
            requirements |= DeliveryRequirements.EightBitMime;
        }
        if (whole)
        {
            long size = chunks.FilledLength;
            CheckRequirements(size, requirements);
            return (size, requirements);
        }
        CheckRequirements(UnknownSize, requirements);
        if ((requirements & DeliveryRequirements.BinaryMime) == 0)
        {
            if (Extensions.EightBitMime)
            {
                requirements |= DeliveryRequirements.EightBitMime;
            }
            else
            {
                chunks.RefuseEightBit = true;
            }
        }
        return (UnknownSize, requirements);
    }

    /// <summary>
    /// Writes the chunk already in the command buffer, then each further one, until the last or until the reader
    /// asks to stop. Returns an error of the message stream (nothing of that chunk was written: the session stays
    /// in step); throws the write's <see cref="SmtpException"/> or <see cref="OperationCanceledException"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Exception?> WriteChunksAsync(BdatWriter chunks, bool last, BdatProgress progress, bool growDeadline, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await _transport.FlushDataAsync(SmtpCommand.Bdat, cancellationToken).ConfigureAwait(false);
                progress.ChunkWritten(last);
                if (last || progress.StopRequested)
                {
                    return null;
                }
                var before = chunks.Written;
                try
                {
                    last = await chunks.AppendNextAsync(_transport, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return e;
                }
                if (growDeadline)
                {
                    _transport.ExtendDataDeadline(_timeouts.DataTime(chunks.Written - before));
                }
                if (progress.StopRequested)
                {
                    // A refusal came while the chunk was read from the message: RFC 3030 2, no further chunk
                    // after a refused one. It was only in the command buffer.
                    _transport.DiscardBuffered();
                    return null;
                }
            }
        }
        finally
        {
            progress.WriterEnded();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<(Exception? MessageError, SmtpException? WriteError, OperationCanceledException? Canceled)> ObserveChunkWriterAsync(ValueTask<Exception?> write)
    {
        try
        {
            return (await write.ConfigureAwait(false), null, null);
        }
        catch (SmtpException e)
        {
            return (null, e, null);
        }
        catch (OperationCanceledException e)
        {
            return (null, null, e);
        }
    }

    // RFC 3030 2 without PIPELINING (only for BINARYMIME, see UsesBdat): one command, one reply.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpResponse[]> SendChunkedLockStepAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, Stream message, DeliveryRequirements requirements, DsnParameters? dsn, CancellationToken cancellationToken)
    {
        using var chunks = new BdatWriter(message, (requirements & DeliveryRequirements.BinaryMime) != 0, messageSize);
        var responses = await SendMailAndRecipientsLockStepAsync(mailFrom, rcptTo, messageSize, requirements, dsn, cancellationToken).ConfigureAwait(false);
        ThrowIfUnasked(SmtpCommand.Bdat);
        _transport.StartDataDeadline(_timeouts.DataPhase(messageSize), _timeouts.DataBlock);
        while (true)
        {
            bool last;
            try
            {
                last = await chunks.AppendNextAsync(_transport, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _transport.DiscardBuffered();
                throw MessageError(e);
            }
            await _transport.FlushDataAsync(SmtpCommand.Bdat, cancellationToken).ConfigureAwait(false);
            Reply reply;
            try
            {
                reply = await ReadAsync(SmtpCommand.Bdat, last ? _timeouts.DataTermination : _timeouts.DataBlock, cancellationToken).ConfigureAwait(false);
            }
            catch (SmtpException e) when (last)
            {
                throw e.AfterMessageData(uncertain: true, responses);
            }
            catch (OperationCanceledException e) when (last)
            {
                _transport.Broken = true;
                throw CanceledAfterData(SmtpCommand.Bdat, e, responses);
            }
            if (last)
            {
                return Delivered(reply, chunks, responses);
            }
            if (!reply.IsPositiveCompletion)
            {
                throw ChunkRefused(reply, false, responses);
            }
        }
    }

    // RFC 2920 3.1: data that arrived while no command was outstanding means the replies are out of step.
    private void ThrowIfUnasked(SmtpCommand command)
    {
        if (_transport.BufferedBytes > 0)
        {
            throw _transport.Break(SmtpErrorReason.Protocol, command,
                $"server sent {_transport.BufferedBytes} bytes no command asked for", string.Empty, null);
        }
    }

    private SmtpResponse[] Delivered(Reply final, BdatWriter chunks, SmtpResponse[] responses)
    {
        Log.DataWritten(_logger, chunks.Written);
        Verdict(final, SmtpCommand.Bdat, "last bdat chunk", chunks.Written, responses);
        return responses;
    }

    /// <summary>A 4xx/5xx to a chunk: a definite "not delivered" (RFC 3030 2), whether or not the rest was already written.</summary>
    private static SmtpException ChunkRefused(Reply reply, bool wholeMessageWritten, SmtpResponse[] responses)
    {
        var permanent = reply.Class == 5;
        return new SmtpException(SmtpErrorReason.Status, permanent, SmtpCommand.Bdat,
            $"bdat chunk refused: got {reply.Code}, expected 2xx", reply.ToResponse(SmtpCommand.Bdat, permanent, SmtpErrorReason.Status))
        {
            MessageDataSent = wholeMessageWritten,
            // Only after the whole message: the RCPT replies (2xx) of a transaction refused before LAST are no verdict.
            RecipientResponses = wholeMessageWritten ? responses : [],
        };
    }

    /// <summary>The message stream failed or is malformed; no chunk of it was written partly, so the session stays in step.</summary>
    private static SmtpException MessageError(Exception e) =>
        new(SmtpErrorReason.MessageData, false, SmtpCommand.Bdat, $"reading message for bdat: {e.Message}", null, e);
}
