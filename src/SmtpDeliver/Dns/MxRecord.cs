namespace SmtpDeliver.Dns;

/// <summary>An MX record (RFC 5321 5.1).</summary>
/// <param name="Host">The mail exchanger, absolute with trailing dot, "." for a null MX (RFC 7505).</param>
/// <param name="Preference">Lower is preferred.</param>
public sealed record MxRecord(string Host, int Preference);
