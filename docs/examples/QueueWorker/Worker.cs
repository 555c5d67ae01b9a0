using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpDeliver;
using SmtpDeliver.Delivery;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt.Reporting;

namespace QueueWorker;

/// <summary>
/// The worker: the spool, one <see cref="Deliverer"/> for its whole life (connection reuse on), the TLSRPT
/// aggregator and reporter, and the loop. Dispose it to close the idle sessions with QUIT.
/// </summary>
internal sealed class Worker : IAsyncDisposable
{
    private readonly WorkerOptions _options;
    private readonly TimeProvider _clock;
    private readonly DeliveryPass _pass;
    private readonly DailyTlsRptJob _daily;

    /// <summary>Builds the worker from its options; <paramref name="dependencies"/> replaces parts (tests, shared stores).</summary>
    public Worker(WorkerOptions options, ILoggerFactory loggerFactory, WorkerDependencies? dependencies = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        dependencies ??= new WorkerDependencies();
        _options = options;
        _clock = dependencies.Clock ?? TimeProvider.System;
        var logger = loggerFactory.CreateLogger("QueueWorker");
        var ehlo = Domain.Parse(options.EhloHostname);
        var resolver = dependencies.Resolver ?? (options.DnsResolver is { } server
            ? new ValidatingResolver(ValidatingResolver.ParseServer(server))
            : new ValidatingResolver());
        X509Certificate2Collection? roots = null;
        if (options.RootCertificateFile is { } file)
        {
            roots = [];
            roots.ImportFromPemFile(file);
        }

        Spool = new Spool(options.SpoolDirectory, logger);
        Deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = ehlo,
            Port = options.Port ?? 25,
            RootCertificates = roots,
            // Shared policy cache: a policy once seen keeps applying when a later fetch fails (RFC 8461 5.1).
            MtaSts = new MtaStsPolicySource(resolver, dependencies.MtaStsCache) { RootCertificates = roots },
            ConnectionReuse = ConnectionReuseOptions.Default,
            Logger = loggerFactory.CreateLogger<Deliverer>(),
        });
        Aggregator = new TlsRptAggregator(dependencies.TlsRptStore ?? new InMemoryTlsRptResultStore(), _clock);
        var reporter = new TlsRptReporter(Aggregator, resolver)
        {
            Submitter = ehlo.Ascii,
            From = EnvelopeAddress.Parse(options.TlsRptFrom ?? "tlsrpt-noreply@" + ehlo.Ascii),
            ReportAllSuccess = options.TlsRptReportAllSuccess,
        };
        var dsn = new DsnSender(Spool, new MailboxAddress("Mail Delivery System", options.BounceFrom ?? "MAILER-DAEMON@" + ehlo.Ascii), ehlo, _clock, logger);
        _pass = new DeliveryPass(Spool, Deliverer, Aggregator, dsn, options.Retry, _clock, logger);
        _daily = new DailyTlsRptJob(reporter, Spool, _clock, options.TlsRptReportDelay, logger);
    }

    /// <summary>The spool.</summary>
    public Spool Spool { get; }

    /// <summary>The deliverer, shared by every pass so that sessions are reused.</summary>
    public Deliverer Deliverer { get; }

    /// <summary>The TLSRPT aggregator (its store holds the day's counters).</summary>
    public TlsRptAggregator Aggregator { get; }

    /// <summary>One pass: the daily TLSRPT job when due (its report messages join this pass), then the due messages.</summary>
    public async Task<PassResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var reports = await _daily.RunIfDueAsync(cancellationToken).ConfigureAwait(false);
        var result = await _pass.RunAsync(_options.MaxMessagesPerPass, cancellationToken).ConfigureAwait(false);
        return result with { TlsRptReports = reports };
    }

    /// <summary>Passes every <see cref="WorkerOptions.PollInterval"/> until cancelled or <see cref="WorkerOptions.Iterations"/> are done.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        for (var i = 1; ; i++)
        {
            await RunOnceAsync(cancellationToken).ConfigureAwait(false);
            if (i >= _options.Iterations)
            {
                return;
            }
            await Task.Delay(_options.PollInterval, _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the idle SMTP sessions (QUIT); the deliverer refuses work afterwards.</summary>
    public ValueTask DisposeAsync() => Deliverer.DisposeAsync();
}
