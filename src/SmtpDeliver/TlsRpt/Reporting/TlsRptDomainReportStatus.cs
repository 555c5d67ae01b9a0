namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>What <see cref="TlsRptReporter.ReportDayAsync"/> did for one policy domain.</summary>
public enum TlsRptDomainReportStatus
{
    /// <summary>A report was made: posted to https destinations, and/or messages returned for mailto ones.</summary>
    Reported,
    /// <summary>Only successful sessions, and <see cref="TlsRptReporter.ReportAllSuccess"/> is off: nothing sent, counts dropped.</summary>
    NoFailures,
    /// <summary>The domain has no usable TLSRPT record (none, several, invalid): nothing sent, counts dropped.</summary>
    NoRecord,
    /// <summary>The record lookup failed temporarily: counts kept, call again later.</summary>
    RetryLater,
    /// <summary>Another worker claimed this report (<see cref="ITlsRptResultStore.TryClaimReportAsync"/>): nothing done here.</summary>
    ClaimedElsewhere,
}
