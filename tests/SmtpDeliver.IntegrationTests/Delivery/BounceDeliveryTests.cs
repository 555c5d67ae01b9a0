using System.Net;
using System.Text;
using MimeKit;
using SmtpDeliver.Bounces;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.IntegrationTests.Delivery;

/// <summary>
/// Notifications end to end: a message to a recipient the real Postfix refuses (550 5.1.1) or defers (450 4.2.1),
/// the notification composed from the outcome, delivered through Postfix with MAIL FROM:&lt;&gt; to the sender's
/// Maildir, read back and compared field by field with what was composed.
/// </summary>
public class BounceDeliveryTests
{
    private static readonly DateTimeOffset Arrival = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static Deliverer NewDeliverer() => new(new DeliveryOptions
    {
        Resolver = new InMemoryResolver
        {
            AllAuthentic = false,
            Mx = { ["example.test."] = [new MxRecord("mx.example.test.", 10)] },
            A = { ["mx.example.test."] = ["127.0.0.1"] },
        },
        EhloHostname = Domain.Parse("client.example.test"),
        Dialer = new Dialer
        {
            Connect = (remote, local, ct) => Dialer.ConnectDirectAsync(new IPEndPoint(IPAddress.Loopback, IntegrationEnvironment.GetInt("postfix", "SMTP_PORT")), local, ct),
        },
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(15)),
    });


    private static async Task RoundTripAsync(string sender, string recipient, bool finalAttempt, string expectedAction, string expectedStatus, string expectedDiagnostic)
    {
        var marker = Guid.NewGuid().ToString("N");
        var original = Encoding.ASCII.GetBytes($"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: original {marker}\r\nMessage-ID: <{marker}@client.example.test>\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\n\r\nhello\r\n");
        var dsn = new DsnRequest { EnvelopeId = "env-" + marker, Return = DsnReturn.Full, Recipients = [new DsnRecipient { Notify = DsnNotify.Failure | DsnNotify.Delay, OriginalRecipient = EnvelopeAddress.Parse(recipient) }] };
        var request = new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse(sender),
            Recipients = [EnvelopeAddress.Parse(recipient)],
            OpenMessage = () => new MemoryStream(original),
            Size = original.Length,
            Dsn = dsn,
        };
        var deliverer = NewDeliverer();
        var outcome = await deliverer.DeliverAsync(request);
        var lastAttempt = DateTimeOffset.UtcNow;
        var retryUntil = lastAttempt.AddDays(4);

        var result = await BounceComposer.ComposeAsync(new BounceRequest
        {
            OriginalSender = request.MailFrom,
            From = new MailboxAddress("Mail Delivery System", "MAILER-DAEMON@client.example.test"),
            ReportingMta = Domain.Parse("client.example.test"),
            ArrivalDate = Arrival,
            EnvelopeId = dsn.EnvelopeId,
            Return = dsn.Return,
            Recipients = BounceRecipient.FromDeliveryOutcome(outcome, dsn, finalAttempt, lastAttempt, retryUntil),
            OpenOriginalMessage = () => new MemoryStream(original),
        });
        Assert.NotNull(result.Message);

        var bounce = result.ToDeliveryRequest();
        Assert.True(bounce.MailFrom.IsNullReversePath);
        var sent = await deliverer.DeliverAsync(bounce);
        Assert.Equal(RecipientStatus.Delivered, Assert.Single(sent.Recipients).Status);

        var user = sender;
        var delivered = await Maildir.DeliveredAsync(user, "env-" + marker);
        var received = await MimeMessage.LoadAsync(new MemoryStream(delivered));
        // Postfix records the envelope sender: the null reverse-path.
        Assert.Equal("<>", received.Headers[HeaderId.ReturnPath]);

        using var composedStream = bounce.OpenMessage();
        var composed = await MimeMessage.LoadAsync(composedStream);
        Assert.Equal(composed.MessageId, received.MessageId);
        Assert.Equal(composed.Subject, received.Subject);
        Assert.Equal(composed.From.ToString(), received.From.ToString());
        Assert.Equal(composed.To.ToString(), received.To.ToString());
        Assert.Equal($"{marker}@client.example.test", received.InReplyTo);

        var composedReport = Assert.IsType<MultipartReport>(composed.Body);
        var receivedReport = Assert.IsType<MultipartReport>(received.Body);
        Assert.Equal("delivery-status", receivedReport.ReportType);
        Assert.Equal(composedReport.Count, receivedReport.Count);
        Assert.Equal(((TextPart)composedReport[0]).Text, ((TextPart)receivedReport[0]).Text);
        var composedGroups = Assert.IsType<MessageDeliveryStatus>(composedReport[1]).StatusGroups;
        var receivedGroups = Assert.IsType<MessageDeliveryStatus>(receivedReport[1]).StatusGroups;
        Assert.Equal(composedGroups.Count, receivedGroups.Count);
        for (var i = 0; i < composedGroups.Count; i++)
        {
            Assert.Equal(composedGroups[i].Select(h => (h.Field, h.Value)), receivedGroups[i].Select(h => (h.Field, h.Value)));
        }

        var perMessage = receivedGroups[0];
        Assert.Equal("env-" + marker, perMessage["Original-Envelope-Id"]);
        Assert.Equal("dns; client.example.test", perMessage["Reporting-MTA"]);
        var r = receivedGroups[1];
        Assert.Equal("rfc822; " + recipient, r["Original-Recipient"]);
        Assert.Equal("rfc822; " + recipient, r["Final-Recipient"]);
        Assert.Equal(expectedAction, r["Action"]);
        Assert.Equal(expectedStatus, r["Status"]);
        Assert.Equal("dns; mx.example.test", r["Remote-MTA"]);
        Assert.StartsWith("smtp; " + expectedDiagnostic, r["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.Equal(expectedAction == "delayed", r["Will-Retry-Until"] is not null);

        var returned = Assert.IsType<MessagePart>(receivedReport[2]);
        Assert.Equal($"original {marker}", returned.Message!.Subject);
    }

    [Fact]
    public async Task A_refused_recipient_gives_a_failure_notification_delivered_with_the_null_sender()
    {
        await RoundTripAsync("rcpt1@example.test", "reject@example.test", finalAttempt: false, "failed", "5.1.1", "550 5.1.1");
    }

    [Fact]
    public async Task A_deferred_recipient_gives_a_delay_notification_delivered_with_the_null_sender()
    {
        await RoundTripAsync("rcpt2@example.test", "tempfail@example.test", finalAttempt: false, "delayed", "4.2.1", "450 4.2.1");
    }
}
