using SmtpDeliver.TlsRpt.Reporting;

namespace QueueWorker;

/// <summary>What one pass of the queue did (for logs and tests).</summary>
internal sealed record PassResult
{
    /// <summary>Messages attempted.</summary>
    public int Messages { get; init; }

    /// <summary>Recipients accepted by a server.</summary>
    public int Delivered { get; init; }

    /// <summary>Recipients refused for good or given up.</summary>
    public int Failed { get; init; }

    /// <summary>Recipients deferred: retried later.</summary>
    public int Deferred { get; init; }

    /// <summary>Recipients whose delivery is uncertain: held, not resent.</summary>
    public int Uncertain { get; init; }

    /// <summary>Notifications (failure or delay) put into the spool.</summary>
    public int NotificationsQueued { get; init; }

    /// <summary>What the daily TLSRPT job did, if it ran.</summary>
    public IReadOnlyList<TlsRptDomainReport> TlsRptReports { get; init; } = [];
}
