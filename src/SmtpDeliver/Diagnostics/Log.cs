using Microsoft.Extensions.Logging;

namespace SmtpDeliver;

/// <summary>Source-generated log messages of the client. Protocol lines are logged at Trace level only.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Trace, Message = "RS: {Line}")]
    public static partial void Read(ILogger logger, string line);

    [LoggerMessage(EventId = 2, Level = LogLevel.Trace, Message = "LC: {Line}")]
    public static partial void Write(ILogger logger, string line);

    [LoggerMessage(EventId = 3, Level = LogLevel.Trace, Message = "LC: message data, {Bytes} bytes")]
    public static partial void DataWritten(ILogger logger, long bytes);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "tls handshake done: {Version} {CipherSuite}, server name {ServerName}, pkix {PkixVerified}")]
    public static partial void TlsHandshakeDone(ILogger logger, System.Security.Authentication.SslProtocols version, System.Net.Security.TlsCipherSuite cipherSuite, string serverName, bool pkixVerified);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "tls verification failed for {ServerName}, not enforced: {Problem}")]
    public static partial void TlsVerificationIgnored(ILogger logger, string serverName, string problem);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "smtp command {Command} result {Code} {EnhancedStatusCode}")]
    public static partial void CommandResult(ILogger logger, SmtpCommand command, int code, string enhancedStatusCode);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "delivered to {Accepted} of {Recipients} recipients, {Bytes} bytes")]
    public static partial void Delivered(ILogger logger, int accepted, int recipients, long bytes);

    [LoggerMessage(EventId = 30, Level = LogLevel.Debug, Message = "closing connection: {Problem}")]
    public static partial void CloseProblem(ILogger logger, string problem);
}
