using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver;

namespace SmtpDeliver.Cli.Commands;

/// <summary>Options shared by the subcommands.</summary>
internal sealed class CommonOptions
{
    public Option<bool> Json { get; } = new("--json") { Description = "Write one JSON document to stdout (field names in docs/cli.md)." };
    public Option<string?> Resolver { get; } = new("--resolver") { Description = "Validating DNS resolver IP[:PORT]; default: the system's. Its AD bit is trusted when it is on loopback (or resolv.conf has options trust-ad), else with --trust-ad." };
    public Option<bool> TrustAd { get; } = new("--trust-ad") { Description = "Trust the resolver's AD bit (DNSSEC-authentic) although it is not on loopback: only over a path you trust." };
    public Option<FileInfo?> CaFile { get; } = new("--ca-file") { Description = "PEM file with root certificates to use instead of the system's." };
    public Option<string> Ehlo { get; } = new("--ehlo") { Description = "Our host name for EHLO; default this machine's fully-qualified name (docs/cli.md).", DefaultValueFactory = _ => LocalFullyQualifiedName() };
    public Option<int> Timeout { get; } = new("--timeout") { Description = "Timeout in seconds for each step.", DefaultValueFactory = _ => 30 };
    public Option<bool> Trace { get; } = new("--trace") { Description = "Protocol transcript on stderr (credentials and message data are never shown)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Json);
        command.Options.Add(Resolver);
        command.Options.Add(TrustAd);
        command.Options.Add(CaFile);
        command.Options.Add(Ehlo);
        command.Options.Add(Timeout);
        command.Options.Add(Trace);
    }

    public ValidatingResolver CreateResolver(ParseResult result)
    {
        var server = result.GetValue(Resolver);
        var timeout = TimeSpan.FromSeconds(Math.Max(1, result.GetValue(Timeout)));
        // Without --trust-ad the system convention decides (loopback resolvers, resolv.conf trust-ad).
        bool? trust = result.GetValue(TrustAd) ? true : null;
        return server is null
            ? new ValidatingResolver(timeout) { TrustAuthenticData = trust }
            : new ValidatingResolver(timeout, ValidatingResolver.ParseServer(server)) { TrustAuthenticData = trust };
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

    public SmtpSessionOptions SmtpSessionOptions(ParseResult result) => new()
    {
        RootCertificates = Roots(result),
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(Math.Max(1, result.GetValue(Timeout)))),
        Logger = result.GetValue(Trace) ? new StderrTrace() : null,
    };

    public Domain EhloName(ParseResult result) => Domain.Parse(result.GetValue(Ehlo)!);

    /// <summary>
    /// Checks the options every command sends or uses before anything connects: the EHLO name, the
    /// resolver address and the CA file. Writes one line to stderr and returns the exit code when one is bad.
    /// </summary>
    public int? CheckInput(ParseResult result, string command)
    {
        var ehlo = result.GetValue(Ehlo) ?? string.Empty;
        if (!Domain.TryParse(ehlo, out _))
        {
            return UsageError(command, $"--ehlo {Printable(ehlo)} is not a valid host name");
        }
        if (result.GetValue(Resolver) is { } resolver)
        {
            try
            {
                ValidatingResolver.ParseServer(resolver);
            }
            catch (FormatException)
            {
                return UsageError(command, $"--resolver {Printable(resolver)} is not IP[:PORT]");
            }
        }
        if (result.GetValue(CaFile) is { } caFile)
        {
            try
            {
                Roots(result);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                Console.Error.WriteLine($"smtpdeliver {command}: --ca-file {caFile.FullName}: {e.Message}");
                return ExitCodes.DataError;
            }
        }
        return null;
    }

    /// <summary>Writes "smtpdeliver COMMAND: problem" to stderr; returns <see cref="ExitCodes.Usage"/>.</summary>
    public static int UsageError(string command, string problem)
    {
        Console.Error.WriteLine($"smtpdeliver {command}: {problem}");
        return ExitCodes.Usage;
    }

    /// <summary>A caller string fit for one line of an error message: controls escaped, quoted, shortened.</summary>
    public static string Printable(string text)
    {
        var shown = text.Length > 80 ? text[..80] + "…" : text;
        var b = new System.Text.StringBuilder(shown.Length + 2).Append('"');
        foreach (var c in shown)
        {
            b.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }
        return b.Append('"').ToString();
    }

    /// <summary>Parses "host[:port]"; writes a usage error and returns <c>null</c> when it is not valid.</summary>
    public static (string Host, int Port)? TryHostPort(string text, int defaultPort, string command, string option)
    {
        try
        {
            var (host, port) = HostPort(text, defaultPort);
            if (port is < 1 or > 65535 || host.Length == 0 || (!System.Net.IPAddress.TryParse(host, out _) && !Domain.TryParse(host, out _)))
            {
                throw new FormatException("bad host or port");
            }
            return (host, port);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            UsageError(command, $"{option} {Printable(text)} is not HOST[:PORT]");
            return null;
        }
    }

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

    /// <summary>
    /// This machine's fully-qualified domain name for EHLO (RFC 5321 4.1.4), found without any network
    /// lookup so that it can never hang: the host name when it has a dot; else the host name with the
    /// system's domain name (IPGlobalProperties); else a name "HOST.domain" on an /etc/hosts line that
    /// lists the host name (where Debian-like systems keep the FQDN; the resolver's "files" source without
    /// its DNS fallback); else the host name; and
    /// "localhost" only when none of these is a valid domain name. Lower case.
    /// </summary>
    private static string LocalFullyQualifiedName()
    {
        static bool Valid(string? name) => Domain.TryParse(name, out _);
        static bool Dotted(string? name) => Valid(name) && name!.Trim('.').Contains('.', StringComparison.Ordinal);

        string host;
        try
        {
            host = System.Net.Dns.GetHostName().TrimEnd('.');
        }
        catch (System.Net.Sockets.SocketException)
        {
            return "localhost";
        }
        if (Dotted(host))
        {
            return host.ToLowerInvariant();
        }
        try
        {
            var domain = System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().DomainName.Trim('.');
            // On Linux this is the NIS domain name, "(none)" when unset: the validity check drops it.
            if (domain.Length > 0 && Dotted(host + "." + domain))
            {
                return (host + "." + domain).ToLowerInvariant();
            }
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            // No domain name from the system; try the hosts file.
        }
        try
        {
            var hosts = new FileInfo("/etc/hosts");
            // A local file of a few lines; a hosts file beyond 1 MiB is not read.
            if (!OperatingSystem.IsWindows() && hosts.Exists && hosts.Length <= 1024 * 1024)
            {
                foreach (var line in File.ReadLines(hosts.FullName))
                {
                    var names = line.Split('#', 2)[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
                    if (names.Contains(host, StringComparer.OrdinalIgnoreCase) && names.FirstOrDefault(n => n.StartsWith(host + ".", StringComparison.OrdinalIgnoreCase) && Dotted(n.TrimEnd('.'))) is { } full)
                    {
                        return full.TrimEnd('.').ToLowerInvariant();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable hosts file: fall back to the host name.
        }
        return Valid(host) ? host.ToLowerInvariant() : "localhost";
    }
}
