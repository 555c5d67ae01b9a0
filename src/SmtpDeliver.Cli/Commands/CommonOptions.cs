using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Dns;

namespace SmtpDeliver.Cli.Commands;

/// <summary>Options shared by the subcommands.</summary>
internal sealed class CommonOptions
{
    public Option<bool> Json { get; } = new("--json") { Description = "Write one JSON document to stdout (field names in docs/cli.md)." };
    public Option<string?> Resolver { get; } = new("--resolver") { Description = "DNS resolver IP[:PORT] whose AD bit is trusted (a local validating resolver); default: the system's." };
    public Option<FileInfo?> CaFile { get; } = new("--ca-file") { Description = "PEM file with root certificates to use instead of the system's." };
    public Option<string> Ehlo { get; } = new("--ehlo") { Description = "Our host name for EHLO.", DefaultValueFactory = _ => Environment.MachineName.Contains('.', StringComparison.Ordinal) ? Environment.MachineName.ToLowerInvariant() : "localhost" };
    public Option<int> Timeout { get; } = new("--timeout") { Description = "Timeout in seconds for each step.", DefaultValueFactory = _ => 30 };
    public Option<bool> Trace { get; } = new("--trace") { Description = "Protocol transcript on stderr (credentials and message data are never shown)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Json);
        command.Options.Add(Resolver);
        command.Options.Add(CaFile);
        command.Options.Add(Ehlo);
        command.Options.Add(Timeout);
        command.Options.Add(Trace);
    }

    public IDnsResolver CreateResolver(ParseResult result)
    {
        var server = result.GetValue(Resolver);
        var timeout = TimeSpan.FromSeconds(Math.Max(1, result.GetValue(Timeout)));
        return server is null ? new ValidatingResolver(timeout) : new ValidatingResolver(timeout, ValidatingResolver.ParseServer(server));
    }

    public X509Certificate2Collection? Roots(ParseResult result)
    {
        var file = result.GetValue(CaFile);
        if (file is null)
        {
            return null;
        }
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(file.FullName);
        return roots;
    }

    public ClientOptions ClientOptions(ParseResult result) => new()
    {
        RootCertificates = Roots(result),
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(Math.Max(1, result.GetValue(Timeout)))),
        Logger = result.GetValue(Trace) ? new StderrTrace() : null,
    };

    public Domain EhloName(ParseResult result) => Domain.Parse(result.GetValue(Ehlo)!);

    /// <summary>Splits "host[:port]" (IPv6 literal as "[addr]:port").</summary>
    public static (string Host, int Port) HostPort(string text, int defaultPort)
    {
        if (text.StartsWith('[') && text.IndexOf(']', StringComparison.Ordinal) is var close and > 0)
        {
            var rest = text[(close + 1)..];
            return (text[1..close], rest.StartsWith(':') ? int.Parse(rest[1..], System.Globalization.CultureInfo.InvariantCulture) : defaultPort);
        }
        var colon = text.LastIndexOf(':');
        return colon > 0 && text.IndexOf(':', StringComparison.Ordinal) == colon
            ? (text[..colon], int.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            : (text, defaultPort);
    }

    /// <summary>The protocol trace on stderr.</summary>
    private sealed class StderrTrace : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel == LogLevel.Trace;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Trace)
            {
                Console.Error.WriteLine(formatter(state, exception));
            }
        }
    }
}
