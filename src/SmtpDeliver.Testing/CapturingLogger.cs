using Microsoft.Extensions.Logging;

namespace SmtpDeliver.Testing;

/// <summary>
/// An <see cref="ILogger"/> that keeps every entry at or above <see cref="MinimumLevel"/> (all by default), for
/// asserting on what SmtpDeliver logs: the protocol trace at <see cref="LogLevel.Trace"/> ("LC: …" lines the
/// client wrote, "RS: …" lines it read; credentials appear as "***"), and its warnings. Thread-safe.
/// </summary>
public sealed class CapturingLogger : ILogger
{
    private readonly List<CapturedLogEntry> _entries = [];

    /// <summary>The least severe level kept; <see cref="LogLevel.Trace"/> (everything) by default.</summary>
    public LogLevel MinimumLevel { get; init; } = LogLevel.Trace;

    /// <summary>The formatted messages kept so far, in order; an exception is appended after a space.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries.Select(e => e.Message + (e.Exception is null ? "" : " " + e.Exception))];
            }
        }
    }

    /// <summary>The entries kept so far, in order, with their level and event id.</summary>
    public IReadOnlyList<CapturedLogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= MinimumLevel;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var entry = new CapturedLogEntry(logLevel, eventId, formatter(state, exception), exception);
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }
}
