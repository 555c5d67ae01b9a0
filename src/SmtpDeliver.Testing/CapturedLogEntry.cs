using Microsoft.Extensions.Logging;

namespace SmtpDeliver.Testing;

/// <summary>One entry a <see cref="CapturingLogger"/> kept.</summary>
/// <param name="Level">Its level.</param>
/// <param name="EventId">Its event id.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception logged with it, if any.</param>
public sealed record CapturedLogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);
