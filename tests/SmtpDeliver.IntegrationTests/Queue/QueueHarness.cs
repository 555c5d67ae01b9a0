using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using QueueWorker;
using SmtpDeliver.Dns;

namespace SmtpDeliver.IntegrationTests.Queue;

/// <summary>
/// An example <see cref="Worker"/> on a fresh spool directory, with a manual queue clock and the test zone: MX of
/// example.test (or another domain) at 127.0.0.1, delivered to <paramref name="port"/> (Postfix by default).
/// </summary>
internal sealed class QueueHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    public QueueHarness(string domain = "example.test", int? port = null, InMemoryResolver? resolver = null)
    {
        SpoolDirectory = Path.Combine(Path.GetTempPath(), "queue-worker-test-" + Guid.NewGuid().ToString("N"));
        Resolver = resolver ?? new InMemoryResolver
        {
            AllAuthentic = false,
            Mx = { [domain + "."] = [new MxRecord("mx." + domain + ".", 10)] },
            A = { ["mx." + domain + "."] = ["127.0.0.1"] },
        };
        Options = new WorkerOptions
        {
            SpoolDirectory = SpoolDirectory,
            EhloHostname = "client.example.test",
            Port = port ?? IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"),
            RootCertificateFile = IntegrationEnvironment.Get("postfix", "CA_CERT"),
            TlsRptReportAllSuccess = true,
            TlsRptReportDelay = TimeSpan.Zero,
            Retry = new RetrySchedule
            {
                FirstRetry = TimeSpan.FromMinutes(10),
                MaxInterval = TimeSpan.FromHours(1),
                DelayWarningAfter = TimeSpan.FromMinutes(30),
                GiveUpAfter = TimeSpan.FromHours(3),
            },
        };
        Worker = new Worker(Options, NullLoggerFactory.Instance, new WorkerDependencies { Resolver = Resolver, Clock = Clock });
    }

    public string SpoolDirectory { get; }

    public InMemoryResolver Resolver { get; }

    public WorkerOptions Options { get; }

    public ManualClock Clock { get; } = new(Start);

    public Worker Worker { get; }

    public Spool Spool => Worker.Spool;

    /// <summary>Spools a small message; its Subject and Message-ID carry <paramref name="marker"/>.</summary>
    public async Task<SpoolEnvelope> EnqueueAsync(string from, string marker, params string[] to)
    {
        var bytes = Encoding.ASCII.GetBytes($"From: <{from}>\r\nTo: <{to[0]}>\r\nSubject: queue {marker}\r\nMessage-ID: <{marker}@client.example.test>\r\nDate: Mon, 01 Jun 2026 10:00:00 +0000\r\n\r\nhello {marker}\r\n");
        var envelope = new SpoolEnvelope
        {
            Id = Spool.NewId(),
            MailFrom = from,
            Recipients = [.. to.Select(t => new SpoolRecipient { Address = t })],
            EnvelopeId = "env-" + marker,
            QueuedAt = Clock.Now,
            NextAttemptAt = Clock.Now,
        };
        await Spool.EnqueueAsync(envelope, () => new MemoryStream(bytes), default);
        return envelope;
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        Directory.Delete(SpoolDirectory, recursive: true);
    }
}
