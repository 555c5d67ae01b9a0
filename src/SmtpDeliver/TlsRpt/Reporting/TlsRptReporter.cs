using SmtpDeliver.Dns;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// Makes the daily aggregate reports of RFC 8460 from a <see cref="TlsRptAggregator"/>: for each policy domain
/// with results on a (finished) UTC day, looks up its TLSRPT record, builds the report, posts it to https:
/// destinations and returns report messages for mailto: destinations, for the caller's queue to deliver.
/// Call <see cref="ReportDayAsync"/> once a day for yesterday (see docs/tlsrpt-reports.md).
/// </summary>
/// <param name="aggregator">Where the results are.</param>
/// <param name="resolver">Resolves TLSRPT records and https destinations.</param>
public sealed class TlsRptReporter(TlsRptAggregator aggregator, IDnsResolver resolver)
{
    private readonly TlsRptAggregator _aggregator = aggregator ?? throw new ArgumentNullException(nameof(aggregator));
    private readonly IDnsResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));

    /// <summary>The submitter: our domain, in ASCII (RFC 8460 5.3 TLS-Report-Submitter, the file name).</summary>
    public required string Submitter { get; init; }

    /// <summary>The envelope sender and From of report messages, e.g. tlsrpt-noreply@&lt;submitter&gt;.</summary>
    public required EnvelopeAddress From { get; init; }

    /// <summary>"organization-name" of reports (RFC 8460 4.4); the submitter when not set.</summary>
    public string? OrganizationName { get; init; }

    /// <summary>"contact-info" of reports (RFC 8460 4.4); postmaster@submitter when not set.</summary>
    public string? ContactInfo { get; init; }

    /// <summary>
    /// Also report days with only successful sessions. Off by default, as in mox: most reports would say
    /// "all well" and cost the receiver as much as the sender.
    /// </summary>
    public bool ReportAllSuccess { get; init; }

    /// <summary>
    /// Most rua destinations used per policy domain (default 5): a hostile record listing hundreds would
    /// otherwise cost a POST (up to its deadline) or a message each, every day. Those beyond are refused with
    /// <see cref="TlsRptRuaRefusal.TooManyDestinations"/>.
    /// </summary>
    public int MaxDestinations { get; init; } = 5;

    /// <summary>
    /// How long a claim on a domain's report holds (default 15 minutes): several workers may run the daily job at
    /// once, and each report is made by the one that claims it; one that could not be made is claimed again after this.
    /// </summary>
    public TimeSpan ReportClaimLease { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Posts to https: destinations; one with this resolver and default limits when not set.</summary>
    public TlsRptHttpsSender? HttpsSender { get; init; }

    /// <summary>
    /// Reports <paramref name="day"/> (a UTC day that is over): every policy domain's results are reported or
    /// dropped, except those whose record lookup failed temporarily (<see cref="TlsRptDomainReportStatus.RetryLater"/>),
    /// which stay for a later call. The caller delivers <see cref="TlsRptDomainReport.Messages"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="day"/> is today or later (its counts are still growing).</exception>
    public async Task<IReadOnlyList<TlsRptDomainReport>> ReportDayAsync(DateOnly day, CancellationToken cancellationToken = default)
    {
        if (day >= _aggregator.Today)
        {
            throw new ArgumentException("only days that are over can be reported", nameof(day));
        }
        var reports = new List<TlsRptDomainReport>();
        foreach (var domain in await _aggregator.GetPolicyDomainsAsync(day, cancellationToken).ConfigureAwait(false))
        {
            if (!await _aggregator.Store.TryClaimReportAsync(day, domain, ReportClaimLease, cancellationToken).ConfigureAwait(false))
            {
                reports.Add(new(domain, TlsRptDomainReportStatus.ClaimedElsewhere, null, null, []));
                continue;
            }
            var report = await ReportDomainAsync(day, domain, cancellationToken).ConfigureAwait(false);
            if (report.Status != TlsRptDomainReportStatus.RetryLater)
            {
                // Messages are handed to the caller, posts are done: no second report for this day.
                await _aggregator.RemoveAsync(day, domain, cancellationToken).ConfigureAwait(false);
            }
            reports.Add(report);
        }
        return reports;
    }

    private async Task<TlsRptDomainReport> ReportDomainAsync(DateOnly day, string domain, CancellationToken cancellationToken)
    {
        var results = await _aggregator.GetResultsAsync(day, domain, cancellationToken).ConfigureAwait(false);
        if (!ReportAllSuccess && results.All(r => r.Summary.TotalFailureSessionCount == 0 && r.FailureDetails.Count == 0))
        {
            return new(domain, TlsRptDomainReportStatus.NoFailures, null, null, []);
        }
        var lookup = await TlsRptRecordLookup.LookupAsync(_resolver, domain, cancellationToken).ConfigureAwait(false);
        switch (lookup.Status)
        {
            case TlsRptRecordLookupStatus.TemporaryFailure:
                return new(domain, TlsRptDomainReportStatus.RetryLater, null, null, []);
            case not TlsRptRecordLookupStatus.Found:
                return new(domain, TlsRptDomainReportStatus.NoRecord, null, null, []);
        }
        var uniqueId = Guid.NewGuid().ToString("N");
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var report = new TlsRptReport
        {
            OrganizationName = OrganizationName ?? Submitter,
            // RFC 8460 4.4 and its Appendix B example: the last second of the day ends the range.
            DateRange = new DateRange { Start = start, End = start.AddDays(1).AddSeconds(-1) },
            ContactInfo = ContactInfo ?? "postmaster@" + Submitter,
            ReportId = $"{day:yyyyMMdd}.{uniqueId}@{Submitter}",
            Policies = results,
        };
        var file = TlsRptReportFile.Create(report, Submitter, domain, uniqueId);
        var destinations = new List<TlsRptRuaOutcome>();
        foreach (var text in lookup.Record!.RuaText)
        {
            destinations.Add(destinations.Count >= MaxDestinations
                ? new TlsRptRuaOutcome(text, TlsRptRuaRefusal.TooManyDestinations, $"only the first {MaxDestinations} destinations are used", null, null)
                : await SendAsync(text, report, file, domain, cancellationToken).ConfigureAwait(false));
        }
        return new(domain, TlsRptDomainReportStatus.Reported, report, file, destinations);
    }

    private async Task<TlsRptRuaOutcome> SendAsync(string uri, TlsRptReport report, TlsRptReportFile file, string domain, CancellationToken cancellationToken)
    {
        TlsRptRua rua;
        try
        {
            rua = TlsRptRua.Parse(uri);
        }
        catch (TlsRptRuaException e)
        {
            return new(uri, e.Refusal, e.Message, null, null);
        }
        if (rua.IsHttps)
        {
            if (!rua.Accepts(file.Content.Length))
            {
                return new(uri, TlsRptRuaRefusal.ReportTooLarge, $"report of {file.Content.Length} bytes over the limit of {rua.MaxSize}", null, null);
            }
            var sender = HttpsSender ?? new TlsRptHttpsSender(_resolver) { TimeProvider = _aggregator.TimeProvider };
            return new(uri, null, "", null, await sender.PostAsync(rua, file, cancellationToken).ConfigureAwait(false));
        }
        var message = TlsRptReportMessage.Create(report, file, domain, Submitter, From, rua.Mailbox!, _aggregator.TimeProvider.GetUtcNow());
        return rua.Accepts(message.Size)
            ? new(uri, null, "", message, null)
            : new(uri, TlsRptRuaRefusal.ReportTooLarge, $"report message of {message.Size} bytes over the limit of {rua.MaxSize}", null, null);
    }
}
