using Microsoft.Extensions.Logging;
using SmtpDeliver;

namespace SmtpDeliver.Tests.Support;

/// <summary>An ILogger at the most verbose level that keeps every formatted line.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add(formatter(state, exception) + (exception is null ? "" : " " + exception));
        }
    }
}
