using System.Runtime.CompilerServices;
using SmtpDeliver.Diagnostics;

namespace SmtpDeliver;

public sealed partial class SmtpClientSession
{
    /// <summary>
    /// Delivers a message to one recipient. Returns only after the server accepted the message with a 2xx
    /// reply to the end of data.
    /// </summary>
    /// <exception cref="SmtpException">The server or the connection refused or failed; see <see cref="SmtpException.Permanent"/>.</exception>
    public async Task DeliverAsync(EnvelopeAddress mailFrom, EnvelopeAddress rcptTo, long messageSize, Stream message, DeliveryRequirements requirements = DeliveryRequirements.None, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rcptTo);
        await DeliverMultipleAsync(mailFrom, [rcptTo], messageSize, message, requirements, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="DeliverAsync(EnvelopeAddress, EnvelopeAddress, long, Stream, DeliveryRequirements, CancellationToken)"/>,
    /// parsing the addresses first (the empty sender is the null reverse-path).
    /// </summary>
    /// <exception cref="FormatException">An address is not a valid RFC 5321/6531 mailbox; nothing was sent.</exception>
    /// <exception cref="SmtpException">The server or the connection refused or failed.</exception>
    public Task DeliverAsync(string mailFrom, string rcptTo, long messageSize, Stream message, DeliveryRequirements requirements = DeliveryRequirements.None, CancellationToken cancellationToken = default) =>
        DeliverAsync(EnvelopeAddress.ParseReversePath(mailFrom), EnvelopeAddress.Parse(rcptTo), messageSize, message, requirements, cancellationToken);

    /// <summary>
    /// As <see cref="DeliverMultipleAsync(EnvelopeAddress, IReadOnlyList{EnvelopeAddress}, long, Stream, DeliveryRequirements, CancellationToken)"/>,
    /// parsing the addresses first (the empty sender is the null reverse-path).
    /// </summary>
    /// <exception cref="FormatException">An address is not a valid RFC 5321/6531 mailbox; nothing was sent.</exception>
    /// <exception cref="SmtpException">The transaction failed as a whole.</exception>
    public Task<IReadOnlyList<SmtpResponse>> DeliverMultipleAsync(string mailFrom, IReadOnlyList<string> rcptTo, long messageSize, Stream message, DeliveryRequirements requirements = DeliveryRequirements.None, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(rcptTo);
        var recipients = new EnvelopeAddress[rcptTo.Count];
        for (var i = 0; i < recipients.Length; i++)
        {
            recipients[i] = EnvelopeAddress.Parse(rcptTo[i] ?? throw new ArgumentException("a recipient is null", nameof(rcptTo)));
        }
        return DeliverMultipleAsync(EnvelopeAddress.ParseReversePath(mailFrom), recipients, messageSize, message, requirements, cancellationToken);
    }

    /// <summary>
    /// Delivers a message to several recipients in one transaction: MAIL, RCPT for each, DATA, the
    /// message, and the final reply. With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go out in one
    /// write. Returns one response per recipient, in order, when the message was accepted for at least
    /// one of them; recipients that were refused have a non-2xx response.
    /// </summary>
    /// <remarks>
    /// Before anything is sent, the requirements are checked against the server's extensions and the size
    /// against its SIZE. An address whose local part is not ASCII adds the SMTPUTF8 requirement (RFC 6531).
    /// A transaction that failed midway is reset with RSET at the start of the next one.
    /// With several recipients, a 452 (or 552) on a later RCPT means "no more recipients in this
    /// transaction": that and the remaining recipients get a transient response; deliver them again in
    /// another transaction. Honour <see cref="EhloExtensions.Limits"/> (RCPTMAX) when splitting.
    /// </remarks>
    /// <param name="mailFrom">The envelope sender; <see cref="EnvelopeAddress.NullReversePath"/> for "&lt;&gt;".</param>
    /// <param name="rcptTo">The envelope recipients, at least one.</param>
    /// <param name="messageSize">The message size in bytes, for SIZE (RFC 1870).</param>
    /// <param name="message">The message with CRLF line endings; read once from its current position, not loaded into memory.</param>
    /// <param name="requirements">What the message needs from the server.</param>
    /// <param name="cancellationToken">
    /// Cancels the transaction (<see cref="OperationCanceledException"/>); the connection is broken afterwards.
    /// Once the whole message was sent, cancellation gives an <see cref="SmtpException"/> with
    /// <see cref="SmtpErrorReason.Canceled"/> and <see cref="SmtpException.DeliveryUncertain"/> instead.
    /// </param>
    /// <exception cref="ArgumentException">No recipients, or the null reverse-path as a recipient.</exception>
    /// <exception cref="SmtpException">
    /// The transaction failed as a whole. After the message data was sent, <see cref="SmtpException.DeliveryUncertain"/>
    /// says whether the server's verdict is unknown (no reply) or definite (the reply's code says it).
    /// </exception>
    public Task<IReadOnlyList<SmtpResponse>> DeliverMultipleAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, Stream message, DeliveryRequirements requirements = DeliveryRequirements.None, CancellationToken cancellationToken = default) =>
        DeliverMultipleAsync(mailFrom, rcptTo, messageSize, message, requirements, null, cancellationToken);

    /// <summary>
    /// As <see cref="DeliverMultipleAsync(EnvelopeAddress, IReadOnlyList{EnvelopeAddress}, long, Stream, DeliveryRequirements, CancellationToken)"/>,
    /// requesting delivery status notifications (RFC 3461): RET and ENVID on MAIL, NOTIFY and ORCPT on each RCPT.
    /// </summary>
    /// <remarks>
    /// The DSN parameters are sent only when the server announced DSN (<see cref="EhloExtensions.Dsn"/>).
    /// Otherwise <see cref="DsnRequest.RequireSupport"/> decides: true fails with
    /// <see cref="SmtpErrorReason.DsnUnsupported"/> before anything is sent, false sends the transaction without
    /// them (the server then uses its default notifications). See docs/dsn.md.
    /// </remarks>
    /// <param name="mailFrom">The envelope sender; <see cref="EnvelopeAddress.NullReversePath"/> for "&lt;&gt;".</param>
    /// <param name="rcptTo">The envelope recipients, at least one.</param>
    /// <param name="messageSize">The message size in bytes, for SIZE (RFC 1870).</param>
    /// <param name="message">The message with CRLF line endings; read once from its current position.</param>
    /// <param name="requirements">What the message needs from the server.</param>
    /// <param name="dsn">The notifications requested, or <c>null</c> for none.</param>
    /// <param name="cancellationToken">Cancels the transaction, as for the overload without <paramref name="dsn"/>.</param>
    /// <exception cref="ArgumentException">
    /// No recipients, the null reverse-path as a recipient, or an invalid <paramref name="dsn"/>: an ENVID that is
    /// empty, longer than 100 characters or not printable ASCII; a recipient list of another length than
    /// <paramref name="rcptTo"/>; NEVER combined with another NOTIFY value; the null reverse-path as ORCPT. Nothing was written.
    /// </exception>
    /// <exception cref="SmtpException">The transaction failed as a whole.</exception>
    public Task<IReadOnlyList<SmtpResponse>> DeliverMultipleAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, Stream message, DeliveryRequirements requirements, DsnRequest? dsn, CancellationToken cancellationToken = default) =>
        // The work is in a pooled state machine: a session delivering one message after another allocates no
        // new one per message (only the Task handed out when the transaction does not complete at once).
        DeliverMultipleCoreAsync(mailFrom, rcptTo, messageSize, message, requirements, dsn, cancellationToken).AsTask();

    /// <summary>
    /// Whether a message of unknown size, needing <paramref name="requirements"/>, can be delivered without being
    /// measured first (<see cref="UnknownSize"/>): only as pipelined BDAT chunks, whose sizes are those of the chunks.
    /// </summary>
    internal bool CanDeliverUnmeasured(DeliveryRequirements requirements) => UsesBdat(requirements) && Extensions.Pipelining;

    /// <summary>The size given for a message not measured (<see cref="CanDeliverUnmeasured"/>): internal callers only.</summary>
    internal const long UnknownSize = -1;

    /// <summary>
    /// The transaction; <paramref name="messageSize"/> may be <see cref="UnknownSize"/> when
    /// <see cref="CanDeliverUnmeasured"/> (the public methods never pass it).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<IReadOnlyList<SmtpResponse>> DeliverMultipleCoreAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, Stream message, DeliveryRequirements requirements, DsnRequest? dsn, CancellationToken cancellationToken, bool sizeKnown = true)
    {
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(rcptTo);
        ArgumentNullException.ThrowIfNull(message);
        if (rcptTo.Count == 0)
        {
            throw new ArgumentException("need at least one recipient", nameof(rcptTo));
        }
        if (sizeKnown)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(messageSize);
        }
        else
        {
            messageSize = UnknownSize;
        }
        foreach (var r in rcptTo)
        {
            if (r is null || r.IsNullReversePath)
            {
                throw new ArgumentException("a recipient is null or the null reverse-path", nameof(rcptTo));
            }
            if (r.RequiresSmtpUtf8)
            {
                requirements |= DeliveryRequirements.SmtpUtf8;
            }
        }
        if (mailFrom.RequiresSmtpUtf8)
        {
            requirements |= DeliveryRequirements.SmtpUtf8;
        }
        var dsnParameters = dsn is null ? null : DsnParameters.Create(dsn, rcptTo.Count);
        EnterOperation();
        try
        {
            ThrowIfUnusable();
            if (_needRset)
            {
                await ResetCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            CheckRequirements(messageSize, requirements);
            if (messageSize == UnknownSize && !CanDeliverUnmeasured(requirements))
            {
                throw new InvalidOperationException("a message of unknown size needs pipelined bdat");
            }
            if (dsnParameters is not null && !Extensions.Dsn)
            {
                if (dsn!.RequireSupport)
                {
                    // Transient: another MX may support DSN (as for SMTPUTF8).
                    throw new SmtpException(SmtpErrorReason.DsnUnsupported, false, SmtpCommand.None, "server does not implement the dsn extension, required by the request");
                }
                // RFC 3461 4: the parameters must not be sent to a server that did not announce DSN; the
                // server then uses its default notifications.
                dsnParameters = null;
            }
            CheckBinaryMime(requirements);
            _needRset = true;
            if (UsesBdat(requirements))
            {
                // RFC 3030: BDAT chunks (SmtpClientSession.Chunking.cs).
                var chunked = await SendChunkedAsync(mailFrom, rcptTo, messageSize, message, requirements, dsnParameters, cancellationToken).ConfigureAwait(false);
                _needRset = false;
                return chunked;
            }
            var responses = Extensions.Pipelining
                ? await SendEnvelopePipelinedAsync(mailFrom, rcptTo, messageSize, requirements, dsnParameters, cancellationToken).ConfigureAwait(false)
                : await SendEnvelopeAsync(mailFrom, rcptTo, messageSize, requirements, dsnParameters, cancellationToken).ConfigureAwait(false);
            await SendDataAsync(message, messageSize, responses, cancellationToken).ConfigureAwait(false);
            _needRset = false;
            return responses;
        }
        finally
        {
            ExitOperation();
        }
    }

    private void CheckRequirements(long messageSize, DeliveryRequirements requirements)
    {
        if ((requirements & DeliveryRequirements.EightBitMime) != 0 && !Extensions.EightBitMime)
        {
            // Permanent: this server will never take the message as it is (RFC 6152 3).
            throw new SmtpException(SmtpErrorReason.EightBitMimeUnsupported, true, SmtpCommand.None, "server does not implement the 8bitmime extension, required by the message");
        }
        if ((requirements & DeliveryRequirements.SmtpUtf8) != 0 && !Extensions.SmtpUtf8)
        {
            throw new SmtpException(SmtpErrorReason.SmtpUtf8Unsupported, false, SmtpCommand.None, "server does not implement the smtputf8 extension, required by the message");
        }
        if ((requirements & DeliveryRequirements.RequireTls) != 0 && !Extensions.RequireTls)
        {
            // RFC 8689 4.2.1: another MX may support it, so transient.
            throw new SmtpException(SmtpErrorReason.RequireTlsUnsupported, false, SmtpCommand.None, "server does not implement the requiretls extension, required for delivery");
        }
        // A message of unknown size (UnknownSize) is checked once its size is known, or by the server.
        if (Extensions.Size && Extensions.MaxSize > 0 && messageSize > Extensions.MaxSize)
        {
            // RFC 1870 6.
            throw new SmtpException(SmtpErrorReason.MessageTooLarge, true, SmtpCommand.None, $"message is {messageSize} bytes, server accepts at most {Extensions.MaxSize} bytes");
        }
    }

    private void AppendMailFrom(EnvelopeAddress mailFrom, long messageSize, DeliveryRequirements requirements, DsnParameters? dsn)
    {
        _transport.BeginLine();
        _transport.Append("MAIL FROM:<");
        AppendPath(mailFrom, (requirements & DeliveryRequirements.SmtpUtf8) != 0);
        _transport.Append(">");
        if (Extensions.Size && messageSize >= 0)
        {
            // RFC 1870 3: sent even when the server announced no fixed limit; left out (RFC 1870 6: it is
            // optional) for a message of unknown size, which only pipelined BDAT sends (UnknownSize).
            _transport.Append(" SIZE=");
            _transport.Append(messageSize);
        }
        if ((requirements & DeliveryRequirements.BinaryMime) != 0)
        {
            // RFC 3030 3: checked announced before anything is sent.
            _transport.Append(" BODY=BINARYMIME");
        }
        else if (Extensions.EightBitMime)
        {
            _transport.Append((requirements & DeliveryRequirements.EightBitMime) != 0 ? " BODY=8BITMIME" : " BODY=7BIT");
        }
        if ((requirements & DeliveryRequirements.SmtpUtf8) != 0)
        {
            _transport.Append(" SMTPUTF8");
        }
        if ((requirements & DeliveryRequirements.RequireTls) != 0)
        {
            _transport.Append(" REQUIRETLS");
        }
        if (dsn?.Mail is { } dsnMail)
        {
            // RFC 3461 4.3, 4.4: RET and ENVID, already encoded.
            _transport.Append(dsnMail);
        }
        _transport.EndLine();
    }

    private void AppendRcptTo(EnvelopeAddress rcptTo, bool smtpUtf8, string? dsnParameters)
    {
        _transport.BeginLine();
        _transport.Append("RCPT TO:<");
        AppendPath(rcptTo, smtpUtf8);
        _transport.Append(">");
        if (dsnParameters is not null)
        {
            // RFC 3461 4.1, 4.2: NOTIFY and ORCPT, already encoded.
            _transport.Append(dsnParameters);
        }
        _transport.EndLine();
    }

    // The address between the angle brackets, written in its parts: no string per address per transaction.
    private void AppendPath(EnvelopeAddress address, bool smtpUtf8)
    {
        if (address.IsNullReversePath)
        {
            return;
        }
        _transport.AppendUtf8(address.LocalPart);
        _transport.Append("@");
        _transport.AppendUtf8(address.WireDomain(smtpUtf8));
    }

    /// <summary>The response to a RCPT, with RFC 5321 4.5.3.1.10's rule that 552 is temporary for recipients.</summary>
    private static SmtpResponse RcptResponse(Reply reply) =>
        reply.IsPositiveCompletion
            ? reply.ToResponse(SmtpCommand.RcptTo, false, null)
            : reply.ToResponse(SmtpCommand.RcptTo, reply.Class == 5 && reply.Code != 552, SmtpErrorReason.Status);

    private static SmtpException NoneAccepted(SmtpResponse[] responses, string message)
    {
        if (responses.Length == 1)
        {
            var r = responses[0];
            return new SmtpException(r.Reason ?? SmtpErrorReason.Status, r.Permanent, SmtpCommand.RcptTo,
                $"recipient refused: got {r.Code}, expected 2xx", r);
        }
        return new SmtpException(SmtpErrorReason.NoRecipients, false, SmtpCommand.RcptTo, message) { RecipientResponses = responses };
    }

    // MAIL, then each RCPT, each waiting for its reply (no PIPELINING); fails when MAIL or every RCPT is refused.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpResponse[]> SendMailAndRecipientsLockStepAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, DeliveryRequirements requirements, DsnParameters? dsn, CancellationToken cancellationToken)
    {
        AppendMailFrom(mailFrom, messageSize, requirements, dsn);
        await FlushAsync(SmtpCommand.MailFrom, cancellationToken).ConfigureAwait(false);
        var mail = await ReadAsync(SmtpCommand.MailFrom, _timeouts.Mail, cancellationToken).ConfigureAwait(false);
        if (!mail.IsPositiveCompletion)
        {
            throw Status(mail, SmtpCommand.MailFrom, "2xx");
        }

        var responses = new SmtpResponse[rcptTo.Count];
        var accepted = 0;
        for (var i = 0; i < rcptTo.Count; i++)
        {
            AppendRcptTo(rcptTo[i], (requirements & DeliveryRequirements.SmtpUtf8) != 0, dsn?.Recipients[i]);
            await FlushAsync(SmtpCommand.RcptTo, cancellationToken).ConfigureAwait(false);
            var reply = await ReadAsync(SmtpCommand.RcptTo, _timeouts.Rcpt, cancellationToken).ConfigureAwait(false);
            if (i > 0 && reply.Code is 452 or 552)
            {
                // RFC 5321 4.5.3.1.10: too many recipients; the rest must go in another transaction.
                var rest = reply.ToResponse(SmtpCommand.RcptTo, false, SmtpErrorReason.Status);
                for (var j = i; j < rcptTo.Count; j++)
                {
                    responses[j] = rest;
                }
                break;
            }
            responses[i] = RcptResponse(reply);
            if (responses[i].IsSuccess)
            {
                accepted++;
            }
        }
        if (accepted == 0)
        {
            throw NoneAccepted(responses, "no recipients accepted in transaction");
        }
        return responses;
    }

    // RFC 5321 3.3, without pipelining: one command, one reply.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpResponse[]> SendEnvelopeAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, DeliveryRequirements requirements, DsnParameters? dsn, CancellationToken cancellationToken)
    {
        var responses = await SendMailAndRecipientsLockStepAsync(mailFrom, rcptTo, messageSize, requirements, dsn, cancellationToken).ConfigureAwait(false);
        _transport.WriteLine("DATA");
        await FlushAsync(SmtpCommand.Data, cancellationToken).ConfigureAwait(false);
        var data = await ReadAsync(SmtpCommand.Data, _timeouts.DataInitiation, cancellationToken).ConfigureAwait(false);
        if (data.Code != 354)
        {
            throw Status(data, SmtpCommand.Data, "354");
        }
        return responses;
    }

    // RFC 2920 3.1: MAIL, RCPTs and DATA in one write; replies read while the write may still be going
    // on, so a server that answers before reading everything cannot deadlock us.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpResponse[]> SendEnvelopePipelinedAsync(EnvelopeAddress mailFrom, IReadOnlyList<EnvelopeAddress> rcptTo, long messageSize, DeliveryRequirements requirements, DsnParameters? dsn, CancellationToken cancellationToken)
    {
        AppendMailFrom(mailFrom, messageSize, requirements, dsn);
        for (var i = 0; i < rcptTo.Count; i++)
        {
            AppendRcptTo(rcptTo[i], (requirements & DeliveryRequirements.SmtpUtf8) != 0, dsn?.Recipients[i]);
        }
        _transport.WriteLine("DATA");
        var write = FlushAsync(SmtpCommand.MailFrom, cancellationToken).AsTask();

        Reply mail;
        try
        {
            mail = await ReadAsync(SmtpCommand.MailFrom, _timeouts.Mail, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ObserveAsync(write).ConfigureAwait(false);
            throw;
        }

        // After a refusal the server may close the connection: remember the first read error instead of
        // failing, so the error reported is the most telling reply.
        var responses = new SmtpResponse[rcptTo.Count];
        SmtpException? readError = null;
        var accepted = 0;
        Reply? data = null;
        try
        {
            for (var i = 0; i < rcptTo.Count; i++)
            {
                if (readError is null)
                {
                    try
                    {
                        responses[i] = RcptResponse(await ReadAsync(SmtpCommand.RcptTo, _timeouts.Rcpt, cancellationToken).ConfigureAwait(false));
                        if (responses[i].IsSuccess)
                        {
                            accepted++;
                        }
                        continue;
                    }
                    catch (SmtpException e)
                    {
                        readError = e;
                    }
                }
                responses[i] = readError.Response;
            }
            if (readError is null)
            {
                try
                {
                    data = await ReadAsync(SmtpCommand.Data, _timeouts.DataInitiation, cancellationToken).ConfigureAwait(false);
                }
                catch (SmtpException e)
                {
                    readError = e;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Never leave the concurrent write unobserved.
            await ObserveAsync(write).ConfigureAwait(false);
            throw;
        }
        var writeError = await ObserveAsync(write).ConfigureAwait(false);

        if (!mail.IsPositiveCompletion)
        {
            throw Status(mail, SmtpCommand.MailFrom, "2xx");
        }
        if (writeError is not null)
        {
            throw writeError;
        }
        if (readError is not null)
        {
            if (accepted == 0)
            {
                // The server refused every recipient and closed before answering DATA: report the refusal.
                var last = responses[^1];
                _transport.Broken = true;
                if (last.Reason == SmtpErrorReason.Status)
                {
                    throw new SmtpException(SmtpErrorReason.Status, last.Permanent, SmtpCommand.RcptTo,
                        "server closed the connection after refusing the recipients, before answering data", last, readError);
                }
            }
            throw readError;
        }
        // No read error: DATA's reply was read.
        var dataReply = data!.Value;
        if (accepted == 0)
        {
            if (dataReply.Code == 354)
            {
                // RFC 2920 3.1: DATA was accepted although no recipient was; send an empty message's end
                // so the server aborts the transaction, and ignore its reply.
                _transport.WriteLine(".");
                await FlushAsync(SmtpCommand.Data, cancellationToken).ConfigureAwait(false);
                await ReadAsync(SmtpCommand.Data, _timeouts.DataTermination, cancellationToken).ConfigureAwait(false);
            }
            throw NoneAccepted(responses, "no recipients accepted in pipelined transaction");
        }
        if (dataReply.Code != 354)
        {
            throw Status(dataReply, SmtpCommand.Data, "354");
        }
        return responses;
    }

    private static async Task<SmtpException?> ObserveAsync(Task write)
    {
        try
        {
            await write.ConfigureAwait(false);
            return null;
        }
        catch (SmtpException e)
        {
            return e;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    // RFC 5321 4.1.1.4: the message, dot-stuffed, then the end of data and the final reply.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendDataAsync(Stream message, long messageSize, SmtpResponse[] responses, CancellationToken cancellationToken)
    {
        long bytes;
        // One deadline for the whole DATA phase, derived from the size, and one per block written.
        _transport.StartDataDeadline(_timeouts.DataPhase(messageSize), _timeouts.DataBlock);
        try
        {
            bytes = await DataWriter.WriteAsync(message, _transport.Stream, cancellationToken).ConfigureAwait(false);
        }
        catch (MessageDataException e)
        {
            throw _transport.Break(SmtpErrorReason.MessageData, SmtpCommand.Data, $"writing message as smtp data: {e.Message}", string.Empty, null, e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not SmtpException)
        {
            throw _transport.Break(SmtpTransport.IoReason(e), SmtpCommand.Data, $"writing message as smtp data: {e.Message}", string.Empty, null, e);
        }
        catch (OperationCanceledException)
        {
            _transport.Broken = true;
            throw;
        }
        Log.DataWritten(_logger, bytes);

        Reply final;
        try
        {
            final = await ReadAsync(SmtpCommand.Data, _timeouts.DataTermination, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException e)
        {
            // Sent, but no verdict: the server may have accepted the message. The queue must weigh a
            // retry against a duplicate (RFC 1047); it is never "delivered" and never a definite refusal.
            throw e.AfterMessageData(uncertain: true, responses);
        }
        catch (OperationCanceledException e)
        {
            throw CanceledAfterData(SmtpCommand.Data, e, responses);
        }
        Verdict(final, SmtpCommand.Data, "data", bytes, responses);
    }

    /// <summary>
    /// The reply to the end of the message (DATA's final dot, or the BDAT chunk with LAST) is the verdict on the
    /// whole message: a definite refusal (5xx permanent, 4xx transient) throws, with the data sent; 2xx is delivered.
    /// </summary>
    private void Verdict(Reply final, SmtpCommand command, string after, long bytes, SmtpResponse[] responses)
    {
        if (!final.IsPositiveCompletion)
        {
            var permanent = final.Class == 5;
            throw new SmtpException(SmtpErrorReason.Status, permanent, command,
                $"message refused after {after}: got {final.Code}, expected 2xx", final.ToResponse(command, permanent, SmtpErrorReason.Status))
            {
                MessageDataSent = true,
                RecipientResponses = responses,
            };
        }
        var accepted = 0;
        foreach (var r in responses)
        {
            accepted += r.IsSuccess ? 1 : 0;
        }
        Log.Delivered(_logger, accepted, responses.Length, bytes);
    }

    /// <summary>
    /// Cancelled while the server judged the whole message: the outcome matters more than the cancellation, so it
    /// is reported as uncertain, never lost in an <see cref="OperationCanceledException"/>.
    /// </summary>
    private SmtpException CanceledAfterData(SmtpCommand command, OperationCanceledException e, SmtpResponse[] responses)
    {
        _transport.Broken = true;
        return new SmtpException(SmtpErrorReason.Canceled, false, command,
            "cancelled after the message data was sent, before the server's reply", null, e).AfterMessageData(uncertain: true, responses);
    }
}
