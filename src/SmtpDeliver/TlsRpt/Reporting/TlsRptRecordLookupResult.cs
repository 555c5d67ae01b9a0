namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>What <see cref="TlsRptRecordLookup.LookupAsync"/> found.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Record">The record when <see cref="Status"/> is <see cref="TlsRptRecordLookupStatus.Found"/>.</param>
/// <param name="Error">For other outcomes, a description.</param>
public sealed record TlsRptRecordLookupResult(TlsRptRecordLookupStatus Status, TlsRptRecord? Record, string Error = "");
