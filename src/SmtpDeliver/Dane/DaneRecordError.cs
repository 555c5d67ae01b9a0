namespace SmtpDeliver.Dane;

/// <summary>A TLSA record that did not verify, and why.</summary>
/// <param name="Record">The record; <c>null</c> for errors about the whole list.</param>
/// <param name="Kind">The kind of error.</param>
/// <param name="Message">A human-readable description.</param>
public sealed record DaneRecordError(TlsaRecord? Record, DaneErrorKind Kind, string Message);
