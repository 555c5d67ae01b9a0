using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MimeKit;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.TlsRpt;
using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.IntegrationTests.TlsRpt;

/// <summary>A TLSRPT report message (RFC 8460 5.3) delivered to the real Postfix and read back from the Maildir.</summary>
public class TlsRptReportDeliveryTests
{
    [Fact]
    public async Task The_mailto_report_arrives_and_parses_back()
    {
        var clock = new SettableClock { Now = DateTimeOffset.UtcNow.AddDays(-1) };
        var aggregator = new TlsRptAggregator(new InMemoryTlsRptResultStore(), clock);
        var result = new TlsRptResult(PolicyType.NoPolicyFound, "example.test");
        result.Add(2, 1, FailureDetails.Of(ResultType.StartTlsNotSupported, "") with { ReceivingMxHostname = "mx.example.test" });
        await aggregator.RecordAsync([result]);
        clock.Now = clock.Now.AddDays(1);
        var resolver = new InMemoryResolver { Txt = { ["_smtp._tls.example.test."] = ["v=TLSRPTv1; rua=mailto:rcpt3@example.test"] } };
        var reporter = new TlsRptReporter(aggregator, resolver) { Submitter = "client.example.test", From = EnvelopeAddress.Parse("tlsrpt@client.example.test") };

        var domain = Assert.Single(await reporter.ReportDayAsync(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime.AddDays(-1))));
        var report = Assert.Single(domain.Messages);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IntegrationEnvironment.Get("postfix", "HOST"), IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"));
        X509Certificate2Collection roots = [X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"))];
        await using (var session = await SmtpClientSession.ConnectAsync(socket, new SmtpSessionOptions
        {
            RootCertificates = roots,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
            TlsMode = TlsMode.Opportunistic,
            EnforcePkix = true,
            EhloHostname = Domain.Parse("client.example.test"),
            RemoteHostname = Domain.Parse(IntegrationEnvironment.Get("postfix", "SERVER_NAME")),
        }))
        {
            await using var data = report.Request.OpenMessage();
            await session.DeliverAsync(report.Request.MailFrom.ToString(), report.Request.Recipients[0].ToString(), report.Request.Size, data, report.Request.Requirements);
            await session.CloseAsync();
        }

        var unique = domain.Report!.ReportId.Split('.', '@')[1];
        var message = await MimeMessage.LoadAsync(new MemoryStream(await Maildir.DeliveredAsync("rcpt3@example.test", unique)));
        Assert.True(TlsRptReportMessage.IsReport(message));
        Assert.Equal(("example.test", "client.example.test"), (message.Headers["TLS-Report-Domain"], message.Headers["TLS-Report-Submitter"]));
        Assert.Contains($"Report-ID: <{domain.Report.ReportId}>", message.Subject, StringComparison.Ordinal);
        var attachment = Assert.IsType<MimePart>(Assert.IsType<MultipartReport>(message.Body)[1]);
        Assert.Equal(domain.File!.FileName, attachment.FileName);
        using var gz = new MemoryStream();
        await attachment.Content!.DecodeToAsync(gz);
        var parsed = TlsRptReport.Parse(TlsRptReportFile.Decompress(gz.ToArray()));
        Assert.Equal(domain.Report.ReportId, parsed.ReportId);
        Assert.Equal((2L, 1L), (parsed.Policies[0].Summary.TotalSuccessfulSessionCount, parsed.Policies[0].Summary.TotalFailureSessionCount));
    }

    /// <summary>A clock set by the test (the results are recorded "yesterday").</summary>
    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }

}
