using System.Globalization;
using Microsoft.Extensions.Logging;
using SmtpDeliver.TlsRpt.Reporting;

namespace QueueWorker;

/// <summary>
/// The daily TLSRPT job (RFC 8460 4-5): once a day, <see cref="WorkerOptions.TlsRptReportDelay"/> after 00:00 UTC,
/// reports the days not yet reported (at most the last three) with <see cref="TlsRptReporter.ReportDayAsync"/>.
/// https: destinations are posted by the reporter; mailto: report messages go into the spool, marked as reports.
/// The last day reported is kept in <c>tlsrpt-last-day.state</c>, so a restart does not report a day twice.
/// </summary>
internal sealed class DailyTlsRptJob(TlsRptReporter reporter, Spool spool, TimeProvider clock, TimeSpan delay, ILogger logger)
{
    private const string StateName = "tlsrpt-last-day";
    private static readonly TimeSpan RetryInterval = TimeSpan.FromHours(1);
    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;

    /// <summary>Reports the days that are over and not reported yet, when due; returns what was done per domain.</summary>
    public async Task<IReadOnlyList<TlsRptDomainReport>> RunIfDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (now < _notBefore || now.UtcDateTime - today.ToDateTime(TimeOnly.MinValue) < delay)
        {
            return [];
        }
        var yesterday = today.AddDays(-1);
        var last = await spool.ReadStateAsync(StateName, cancellationToken).ConfigureAwait(false) is { } text
            && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : yesterday.AddDays(-1);
        if (last >= yesterday)
        {
            return [];
        }
        var done = new List<TlsRptDomainReport>();
        var retry = false;
        // Days older than two or three are not worth reporting (docs/tlsrpt-reports.md).
        for (var day = last.AddDays(1) < yesterday.AddDays(-2) ? yesterday.AddDays(-2) : last.AddDays(1); day <= yesterday; day = day.AddDays(1))
        {
            foreach (var domain in await reporter.ReportDayAsync(day, cancellationToken).ConfigureAwait(false))
            {
                done.Add(domain);
                retry |= domain.Status == TlsRptDomainReportStatus.RetryLater;
                await SpoolAsync(domain, now, cancellationToken).ConfigureAwait(false);
            }
        }
        if (retry)
        {
            // A temporary DNS failure kept that domain's counts: the same days again later; the others are removed.
            _notBefore = now + RetryInterval;
        }
        else
        {
            await spool.WriteStateAsync(StateName, yesterday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        }
        return done;
    }

    private async Task SpoolAsync(TlsRptDomainReport domain, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Log.TlsRptDomain(logger, domain.PolicyDomain, domain.Status);
        foreach (var destination in domain.Destinations)
        {
            if (destination.Refusal is { } refusal)
            {
                Log.TlsRptRuaRefused(logger, domain.PolicyDomain, destination.Rua, refusal, destination.Detail);
            }
            else if (destination.Https is { } https)
            {
                // Posted already; a failed POST is not retried (a report is not worth a duplicate).
                Log.TlsRptPosted(logger, domain.PolicyDomain, destination.Rua, https.Accepted, https.StatusCode, https.Detail);
            }
        }
        foreach (var report in domain.Messages)
        {
            // A real MTA DKIM-signs report.Message here (RFC 8460 5.3) and spools the signed bytes.
            var envelope = new SpoolEnvelope
            {
                Id = Spool.NewId(),
                Kind = SpoolMessageKind.TlsRptReport,
                MailFrom = report.Request.MailFrom.ToString(),
                Recipients = [.. report.Request.Recipients.Select(r => new SpoolRecipient { Address = r.ToString() })],
                Requirements = report.Request.Requirements,
                QueuedAt = now,
                NextAttemptAt = now,
            };
            await spool.EnqueueAsync(envelope, report.Request.OpenMessage, cancellationToken).ConfigureAwait(false);
            Log.TlsRptReportQueued(logger, envelope.Id, domain.PolicyDomain);
        }
    }
}
