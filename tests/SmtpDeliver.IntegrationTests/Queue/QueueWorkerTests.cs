using System.Diagnostics;
using MimeKit;
using QueueWorker;
using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.IntegrationTests.Queue;

/// <summary>
/// The example queue worker of docs/queue.md (docs/examples/QueueWorker) run against the real Postfix: example.test
/// virtual mailboxes (rcpt1..3@), reject@ (550 5.1.1) and tempfail@ (450 4.2.1); the queue clock is moved by the test.
/// </summary>
public class QueueWorkerTests
{
    private static string Marker() => Guid.NewGuid().ToString("N");

    /// <summary>The example as built in its own output directory (with its own dependencies), as a user runs it.</summary>
    private static string WorkerAssembly
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = dir.Parent!.Name; // bin/<configuration>/net10.0
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SmtpDeliver.sln")))
            {
                dir = dir.Parent;
            }
            var path = Path.Combine(dir!.FullName, "docs", "examples", "QueueWorker", "bin", configuration, "net10.0", "QueueWorker.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("build docs/examples/QueueWorker first", path);
        }
    }

    [Fact]
    public async Task Delivers_bounces_a_permanent_failure_to_the_sender_and_records_tlsrpt_counts()
    {
        await using var q = new QueueHarness();
        var marker = Marker();
        await q.EnqueueAsync("rcpt1@example.test", marker, "rcpt2@example.test", "reject@example.test");

        var first = await q.Worker.RunOnceAsync(default);
        Assert.Equal((1, 1, 1, 0, 0, 1), (first.Messages, first.Delivered, first.Failed, first.Deferred, first.Uncertain, first.NotificationsQueued));
        var bounce = Assert.Single(await q.Spool.LoadAllAsync(default));
        Assert.Equal((SpoolMessageKind.Bounce, ""), (bounce.Kind, bounce.MailFrom));

        var second = await q.Worker.RunOnceAsync(default);
        Assert.Equal((1, 1), (second.Messages, second.Delivered));
        Assert.Empty(await q.Spool.LoadAllAsync(default));
        Assert.Empty(Directory.GetFiles(q.Spool.HoldDirectory));

        Assert.Single(await Maildir.WaitForAsync("rcpt2@example.test", 1, $"hello {marker}"));
        var dsn = await MimeMessage.LoadAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(
            Assert.Single(await Maildir.WaitForAsync("rcpt1@example.test", 1, "env-" + marker)))));
        Assert.Equal("<>", dsn.Headers[HeaderId.ReturnPath]);
        var groups = Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(dsn.Body)[1]).StatusGroups;
        Assert.Equal(("rfc822; reject@example.test", "failed", "5.1.1"), (groups[1]["Final-Recipient"], groups[1]["Action"], groups[1]["Status"]));
        Assert.Equal(2, groups.Count);

        // Two attempts (the message, then its bounce), both over STARTTLS with no policy: two successful sessions.
        var results = await q.Worker.Aggregator.GetResultsAsync(DateOnly.FromDateTime(QueueHarness.Start.UtcDateTime), "example.test");
        Assert.Equal((2L, 0L), (results.Sum(r => r.Summary.TotalSuccessfulSessionCount), results.Sum(r => r.Summary.TotalFailureSessionCount)));
    }

    [Fact]
    public async Task A_temporary_failure_is_retried_with_backoff_one_delay_notification_then_a_failure_at_the_give_up_age()
    {
        await using var q = new QueueHarness();
        var marker = Marker();
        var message = await q.EnqueueAsync("rcpt2@example.test", marker, "tempfail@example.test");

        // Attempts at 0, 10 and 30 minutes (backoff 10, 20, 40, 60 capped); the delay warning is due from 30 minutes.
        var attempts = new List<PassResult>();
        foreach (var at in new[] { 0, 5, 10, 29, 30, 31, 70, 130, 190 })
        {
            q.Clock.Now = QueueHarness.Start.AddMinutes(at);
            attempts.Add(await q.Worker.RunOnceAsync(default));
            var saved = await q.Spool.LoadAsync(message.Id, default);
            if (at == 10)
            {
                Assert.Equal((2, QueueHarness.Start.AddMinutes(30)), (saved!.Attempts, saved.NextAttemptAt));
            }
        }
        // 0: deferred; 5: not due; 10: deferred; 29: not due; 30: deferred + delay notice; 31: the notice delivered;
        // 70: deferred, no second notice; 130: deferred; 190: past the 3 h give-up age: failed + failure notice.
        Assert.Equal([1, 0, 1, 0, 1, 0, 1, 1, 0], attempts.Select(a => a.Deferred));
        Assert.Equal([0, 0, 0, 0, 1, 0, 0, 0, 1], attempts.Select(a => a.NotificationsQueued));
        Assert.Equal(1, attempts[8].Failed);
        Assert.Equal(1, attempts[5].Delivered);

        q.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await q.Worker.RunOnceAsync(default)).Delivered);
        Assert.Empty(await q.Spool.LoadAllAsync(default));

        var failure = Assert.Single(await Maildir.WaitForAsync("rcpt2@example.test", 1, "env-" + marker, "Action: failed"));
        Assert.Contains("Status: 4.2.1", failure, StringComparison.Ordinal);
        var delays = await Maildir.WaitForAsync("rcpt2@example.test", 1, "env-" + marker, "Action: delayed");
        Assert.Contains("Will-Retry-Until:", Assert.Single(delays), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_daily_job_reports_yesterday_to_the_rua_and_the_report_is_not_itself_recorded()
    {
        await using var q = new QueueHarness();
        q.Resolver.Txt["_smtp._tls.example.test."] = ["v=TLSRPTv1; rua=mailto:rcpt3@example.test"];
        var marker = Marker();
        await q.EnqueueAsync("rcpt1@example.test", marker, "rcpt3@example.test");
        Assert.Equal(1, (await q.Worker.RunOnceAsync(default)).Delivered);

        // Just after midnight UTC: yesterday is reported, its mailto: report spooled and delivered in the same pass.
        q.Clock.Now = new DateTimeOffset(2026, 6, 2, 0, 0, 1, TimeSpan.Zero);
        var pass = await q.Worker.RunOnceAsync(default);
        // The MX host's no-policy result (a DANE-style policy domain) has no record: nothing sent for it.
        Assert.Equal(TlsRptDomainReportStatus.NoRecord, Assert.Single(pass.TlsRptReports, d => d.PolicyDomain == "mx.example.test").Status);
        var domain = Assert.Single(pass.TlsRptReports, d => d.PolicyDomain == "example.test");
        Assert.Equal(("example.test", TlsRptDomainReportStatus.Reported), (domain.PolicyDomain, domain.Status));
        Assert.Equal(1L, domain.Report!.Policies[0].Summary.TotalSuccessfulSessionCount);
        Assert.Equal(1, pass.Delivered);
        Assert.Empty(await q.Worker.Aggregator.GetPolicyDomainsAsync(new DateOnly(2026, 6, 2)));

        var text = Assert.Single(await Maildir.WaitForAsync("rcpt3@example.test", 1, domain.Report.ReportId));
        var report = await MimeMessage.LoadAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.True(TlsRptReportMessage.IsReport(report));
        Assert.Equal("example.test", report.Headers["TLS-Report-Domain"]);

        // Reported once: the last day is kept in the spool.
        q.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty((await q.Worker.RunOnceAsync(default)).TlsRptReports);
    }

    [Fact]
    public async Task The_built_worker_runs_from_the_command_line_with_the_real_resolver_and_dane()
    {
        // delivery.dnssec.test: MX 5 at 127.0.0.9 (nothing listens) and MX 10 smtp.dnssec.test with DANE-EE, in the
        // signed zone served by the test's validating resolver.
        var spool = Path.Combine(Path.GetTempPath(), "queue-worker-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var q = new QueueHarness())
            {
                var marker = Marker();
                var envelope = await q.EnqueueAsync("rcpt1@example.test", marker, "user@delivery.dnssec.test");
                Directory.CreateDirectory(spool);
                File.Copy(q.Spool.MessagePath(envelope.Id), Path.Combine(spool, envelope.Id + ".eml"));
                File.Copy(Path.ChangeExtension(q.Spool.MessagePath(envelope.Id), ".json"), Path.Combine(spool, envelope.Id + ".json"));

                var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[]
                {
                    WorkerAssembly, "--spool", spool, "--ehlo", "client.example.test",
                    "--resolver", IntegrationEnvironment.Get("dns", "RESOLVER"), "--port", IntegrationEnvironment.Get("postfix", "SMTP_PORT"),
                    "--root-cert", IntegrationEnvironment.Get("postfix", "CA_CERT"), "--iterations", "1",
                })
                {
                    info.ArgumentList.Add(a);
                }
                using var process = Process.Start(info)!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await process.WaitForExitAsync(timeout.Token);
                Assert.True(process.ExitCode == 0, await stdout + await stderr);

                Assert.Empty(Directory.GetFiles(spool, "*.json"));
                Assert.Single(await Maildir.WaitForAsync("user@delivery.dnssec.test", 1, $"hello {marker}"));
            }
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }
}
