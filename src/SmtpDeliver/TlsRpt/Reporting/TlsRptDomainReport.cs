namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>One policy domain's part of a day's reporting.</summary>
/// <param name="PolicyDomain">The policy domain.</param>
/// <param name="Status">What was done.</param>
/// <param name="Report">The report, when one was made.</param>
/// <param name="File">The gzipped report and its file name, when one was made.</param>
/// <param name="Destinations">One outcome per rua of the record, in order.</param>
public sealed record TlsRptDomainReport(string PolicyDomain, TlsRptDomainReportStatus Status, TlsRptReport? Report, TlsRptReportFile? File, IReadOnlyList<TlsRptRuaOutcome> Destinations)
{
    /// <summary>The report messages to enqueue for delivery (mailto: destinations), each marked as a report.</summary>
    public IEnumerable<TlsRptReportMessage> Messages => Destinations.Select(d => d.Message).OfType<TlsRptReportMessage>();
}
