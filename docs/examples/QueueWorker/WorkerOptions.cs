using System.Globalization;
using System.Text.Json;

namespace QueueWorker;

/// <summary>
/// The worker's settings: a small JSON file (<c>--config worker.json</c>, property names as here) and/or command-line
/// options, which win. See <see cref="Usage"/>.
/// </summary>
internal sealed record WorkerOptions
{
    /// <summary>The command-line help.</summary>
    public const string Usage = """
        usage: QueueWorker [--config FILE] [--spool DIR] [--ehlo NAME] [--resolver IP:PORT] [--port N]
                           [--root-cert PEMFILE] [--iterations N]
          --config     JSON file with the properties below (SpoolDirectory, EhloHostname, ...)
          --spool      spool directory (<id>.eml + <id>.json)
          --ehlo       our host name: EHLO, Reporting-MTA, TLSRPT submitter
          --resolver   DNSSEC-validating resolver (default: /etc/resolv.conf)
          --port       SMTP port instead of 25 (tests)
          --root-cert  trusted root certificate (PEM) instead of the system's (tests)
          --iterations stop after N passes (default: run until Ctrl+C)
        """;

    /// <summary>The spool directory.</summary>
    public string SpoolDirectory { get; init; } = "spool";

    /// <summary>Our host name (EHLO, Reporting-MTA, TLSRPT submitter).</summary>
    public string EhloHostname { get; init; } = "";

    /// <summary>The resolver, "ip" or "ip:port"; null for /etc/resolv.conf.</summary>
    public string? DnsResolver { get; init; }

    /// <summary>The SMTP port instead of 25 (tests).</summary>
    public int? Port { get; init; }

    /// <summary>A PEM file with the roots to trust instead of the system's (tests).</summary>
    public string? RootCertificateFile { get; init; }

    /// <summary>From of notifications; MAILER-DAEMON@ehlo when null.</summary>
    public string? BounceFrom { get; init; }

    /// <summary>From and envelope sender of TLSRPT reports; tlsrpt-noreply@ehlo when null.</summary>
    public string? TlsRptFrom { get; init; }

    /// <summary>Also report policy domains that had only successful sessions.</summary>
    public bool TlsRptReportAllSuccess { get; init; }

    /// <summary>How long after 00:00 UTC the daily TLSRPT job runs (spread senders out; RFC 8460 leaves it open).</summary>
    public TimeSpan TlsRptReportDelay { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long the loop sleeps between passes.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages delivered per pass at most (one batch; connection reuse across them).</summary>
    public int MaxMessagesPerPass { get; init; } = 100;

    /// <summary>Backoff, delay warning, give-up age.</summary>
    public RetrySchedule Retry { get; init; } = new();

    /// <summary>Passes to run; null for until cancelled.</summary>
    public int? Iterations { get; init; }

    /// <summary>Reads <c>--config</c> (if any), then applies the other options.</summary>
    /// <exception cref="FormatException">An unknown option, a missing value, or a bad number.</exception>
    public static WorkerOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new WorkerOptions();
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == "--config")
            {
                options = JsonSerializer.Deserialize<WorkerOptions>(File.ReadAllBytes(args[i + 1])) ?? options;
            }
        }
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value\n{Usage}");
            options = name switch
            {
                "--config" => options,
                "--spool" => options with { SpoolDirectory = value },
                "--ehlo" => options with { EhloHostname = value },
                "--resolver" => options with { DnsResolver = value },
                "--port" => options with { Port = int.Parse(value, CultureInfo.InvariantCulture) },
                "--root-cert" => options with { RootCertificateFile = value },
                "--iterations" => options with { Iterations = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new FormatException($"unknown option {name}\n{Usage}"),
            };
        }
        if (options.EhloHostname.Length == 0)
        {
            throw new FormatException($"--ehlo (EhloHostname) is required\n{Usage}");
        }
        return options;
    }
}
