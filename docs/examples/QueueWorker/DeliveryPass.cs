using Microsoft.Extensions.Logging;
using SmtpDeliver.Bounces;
using SmtpDeliver.Delivery;
using SmtpDeliver.TlsRpt.Reporting;

namespace QueueWorker;

/// <summary>
/// One pass over the spool: the due messages in one <see cref="Deliverer.DeliverBatchAsync"/> call (sessions reused
/// across them), the TLSRPT results of every attempt recorded, each recipient's new state, notifications, and the
/// envelope saved, held or removed.
/// </summary>
internal sealed class DeliveryPass(Spool spool, Deliverer deliverer, TlsRptAggregator aggregator, DsnSender dsn, RetrySchedule schedule, TimeProvider clock, ILogger logger)
{
    private readonly Dictionary<string, DialHistory> _dialHistories = new(StringComparer.Ordinal);

    /// <summary>Delivers up to <paramref name="maxMessages"/> due messages.</summary>
    public async Task<PassResult> RunAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var requests = new List<SpoolRequest>();
        var due = await spool.LoadDueAsync(now, cancellationToken).ConfigureAwait(false);
        foreach (var envelope in due.Take(maxMessages))
        {
            try
            {
                var made = SpoolRequest.Create(spool, envelope, DialHistoryFor);
                if (made.Count == 0)
                {
                    // Nothing pending (a crash after the last save, before the removal): finish it now.
                    await FinishAsync(envelope, cancellationToken).ConfigureAwait(false);
                }
                requests.AddRange(made);
            }
            catch (FormatException e)
            {
                Log.BadEnvelope(logger, envelope.Id, e.Message);
                spool.Hold(envelope.Id);
            }
        }
        if (requests.Count == 0)
        {
            return new PassResult();
        }

        IReadOnlyList<DeliveryOutcome> outcomes;
        try
        {
            outcomes = await deliverer.DeliverBatchAsync([.. requests.Select(r => r.Request)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            // Not a per-recipient outcome (a bug, a full disk under the message file): try the batch again later.
            Log.BatchFailed(logger, e);
            foreach (var envelope in requests.Select(r => r.Envelope).Distinct())
            {
                envelope.Attempts++;
                envelope.NextAttemptAt = schedule.NextAttempt(envelope.Attempts, now);
                await spool.SaveAsync(envelope, cancellationToken).ConfigureAwait(false);
            }
            return new PassResult { Messages = requests.Select(r => r.Envelope).Distinct().Count() };
        }

        // RFC 8460 4: every attempt's TLS results count, successes and failures; reports themselves are skipped.
        for (var i = 0; i < requests.Count; i++)
        {
            await aggregator.RecordAsync(requests[i].Request, outcomes[i], cancellationToken).ConfigureAwait(false);
        }

        var tally = new Tally();
        foreach (var message in requests.Select((r, i) => (r, o: outcomes[i])).GroupBy(x => x.r.Envelope))
        {
            await CompleteAsync(message.Key, [.. message], now, tally, cancellationToken).ConfigureAwait(false);
        }
        return new PassResult
        {
            Messages = requests.Select(r => r.Envelope).Distinct().Count(),
            Delivered = tally.Delivered,
            Failed = tally.Failed,
            Deferred = tally.Deferred,
            Uncertain = tally.Uncertain,
            NotificationsQueued = tally.Notifications,
        };
    }

    private DialHistory DialHistoryFor(string key)
    {
        if (!_dialHistories.TryGetValue(key, out var history))
        {
            _dialHistories[key] = history = new DialHistory();
        }
        return history;
    }

    private async Task CompleteAsync(SpoolEnvelope envelope, List<(SpoolRequest Request, DeliveryOutcome Outcome)> parts, DateTimeOffset now, Tally tally, CancellationToken cancellationToken)
    {
        var final = schedule.IsFinalAttempt(envelope.QueuedAt, now);
        var failed = new List<BounceRecipient>();
        var delayed = new List<BounceRecipient>();
        foreach (var (request, outcome) in parts)
        {
            // Action, Status, Remote-MTA and Diagnostic-Code per recipient, from this attempt (RFC 3464 2.3).
            var reports = BounceRecipient.FromDeliveryOutcome(outcome, request.Request.Dsn, final, now, schedule.RetryUntil(envelope.QueuedAt));
            for (var i = 0; i < outcome.Recipients.Count; i++)
            {
                var result = outcome.Recipients[i];
                var recipient = request.Recipients[i];
                recipient.LastError = result.Response?.Line is { Length: > 0 } line ? line : result.Error;
                switch (result.Status)
                {
                    case RecipientStatus.Delivered:
                        recipient.State = SpoolRecipientState.Delivered;
                        tally.Delivered++;
                        break;
                    case RecipientStatus.Permanent:
                    case RecipientStatus.Transient when final:
                        recipient.State = SpoolRecipientState.Failed;
                        failed.Add(reports[i]);
                        tally.Failed++;
                        break;
                    case RecipientStatus.Transient:
                        delayed.Add(reports[i]);
                        tally.Deferred++;
                        break;
                    default:
                        // Sent, no verdict: maybe delivered. A retry may duplicate, a bounce may lie (RFC 1047):
                        // hold for the operator, who can check the receiver's logs, and say so loudly.
                        recipient.State = SpoolRecipientState.Uncertain;
                        Log.Uncertain(logger, envelope.Id, recipient.Address, result.Error);
                        tally.Uncertain++;
                        break;
                }
            }
        }
        envelope.Attempts++;
        envelope.LastAttemptAt = now;

        // The notification goes into the spool before the envelope is saved: a crash between the two can repeat a
        // notification, never lose one.
        if (await dsn.SendAsync(envelope, failed, cancellationToken).ConfigureAwait(false))
        {
            tally.Notifications++;
        }
        if (delayed.Count > 0 && !envelope.DelayNotified && schedule.IsDelayWarningDue(envelope.QueuedAt, now))
        {
            envelope.DelayNotified = true;
            if (await dsn.SendAsync(envelope, delayed, cancellationToken).ConfigureAwait(false))
            {
                tally.Notifications++;
            }
        }

        if (envelope.Recipients.Any(r => r.State == SpoolRecipientState.Pending))
        {
            envelope.NextAttemptAt = schedule.NextAttempt(envelope.Attempts, now);
            await spool.SaveAsync(envelope, cancellationToken).ConfigureAwait(false);
            return;
        }
        await FinishAsync(envelope, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A message with nothing pending: held when a delivery is uncertain, else removed.</summary>
    private async Task FinishAsync(SpoolEnvelope envelope, CancellationToken cancellationToken)
    {
        ForgetDialHistories(envelope.Id);
        if (envelope.Recipients.Any(r => r.State == SpoolRecipientState.Uncertain))
        {
            await spool.SaveAsync(envelope, cancellationToken).ConfigureAwait(false);
            spool.Hold(envelope.Id);
        }
        else
        {
            spool.Remove(envelope.Id);
        }
    }

    private void ForgetDialHistories(string id)
    {
        foreach (var key in _dialHistories.Keys.Where(k => k.StartsWith(id + "/", StringComparison.Ordinal)).ToList())
        {
            _dialHistories.Remove(key);
        }
    }

    private sealed class Tally
    {
        public int Delivered { get; set; }

        public int Failed { get; set; }

        public int Deferred { get; set; }

        public int Uncertain { get; set; }

        public int Notifications { get; set; }
    }
}
