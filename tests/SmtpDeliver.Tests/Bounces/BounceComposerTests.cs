using System.Text;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SmtpDeliver.Bounces;
using SmtpDeliver.Delivery;
using SmtpDeliver.Names;

namespace SmtpDeliver.Tests.Bounces;

/// <summary>Every notification is written, parsed back with MimeKit and checked field by field.</summary>
public class BounceComposerTests
{
    private static readonly DateTimeOffset Arrival = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset RetryUntil = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);

    private const string Original = "From: <sender@example.org>\r\nTo: <rcpt@example.net>\r\nSubject: hello\r\nMessage-ID: <orig-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nbody line one\r\nbody line two\r\n";

    private static SmtpResponse Reply(int code, string secode, params string[] lines) => new()
    {
        Code = code,
        EnhancedStatusCode = secode,
        Command = SmtpCommand.RcptTo,
        Line = lines[0],
        MoreLines = lines[1..],
        Permanent = code >= 500,
    };

    private static BounceRequest Request(params BounceRecipient[] recipients) => new()
    {
        OriginalSender = EnvelopeAddress.Parse("sender@example.org"),
        From = new MailboxAddress("Mail Delivery System", "MAILER-DAEMON@mx.example.org"),
        ReportingMta = Domain.Parse("mx.example.org"),
        ArrivalDate = Arrival,
        Recipients = recipients,
        TimeProvider = new FakeTimeProvider(Now),
        OpenOriginalMessage = () => new MemoryStream(Encoding.UTF8.GetBytes(Original)),
    };

    private static BounceRecipient Failed(string address = "rcpt@example.net") => new()
    {
        FinalRecipient = EnvelopeAddress.Parse(address),
        Action = DsnAction.Failed,
        Response = Reply(550, "5.1.1", "550 5.1.1 no such user"),
        RemoteMta = Domain.Parse("mx.example.net"),
        LastAttemptDate = Now.AddMinutes(-1),
    };

    /// <summary>Writes the notification as it goes on the wire and parses it back.</summary>
    private static async Task<(MimeMessage Message, byte[] Bytes)> RoundTripAsync(BounceResult result)
    {
        Assert.NotNull(result.Message);
        Assert.Null(result.SuppressedReason);
        var request = result.ToDeliveryRequest();
        Assert.True(request.MailFrom.IsNullReversePath);
        using var stream = request.OpenMessage();
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        var bytes = copy.ToArray();
        copy.Position = 0;
        return (await MimeMessage.LoadAsync(copy), bytes);
    }

    private static (MultipartReport Report, IReadOnlyList<HeaderList> Groups) Parts(MimeMessage message)
    {
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        return (report, status.StatusGroups.ToList());
    }

    [Fact]
    public async Task Failure_has_every_field_of_RFC_3464()
    {
        var result = await BounceComposer.ComposeAsync(Request(Failed()) with { EnvelopeId = "envid-42" });
        var (message, _) = await RoundTripAsync(result);
        Assert.Equal("sender@example.org", Assert.IsType<MailboxAddress>(Assert.Single(message.To)).Address);
        Assert.Equal("MAILER-DAEMON@mx.example.org", Assert.IsType<MailboxAddress>(Assert.Single(message.From)).Address);
        Assert.Equal("Delivery Status Notification (Failure)", message.Subject);
        Assert.Equal("auto-replied", message.Headers["Auto-Submitted"]);
        Assert.Equal("orig-1@example.org", message.InReplyTo);
        Assert.Equal(Now, message.Date);
        var (report, groups) = Parts(message);
        Assert.Equal(3, report.Count);
        Assert.Equal("text/plain", report[0].ContentType.MimeType);
        Assert.Equal("message/delivery-status", report[1].ContentType.MimeType);
        Assert.Equal(2, groups.Count);
        Assert.Equal("envid-42", groups[0]["Original-Envelope-Id"]);
        Assert.Equal("dns; mx.example.org", groups[0]["Reporting-MTA"]);
        Assert.Equal(Arrival, ParseDate(groups[0]["Arrival-Date"]));
        var r = groups[1];
        Assert.Equal("rfc822; rcpt@example.net", r["Final-Recipient"]);
        Assert.Null(r["Original-Recipient"]);
        Assert.Equal("failed", r["Action"]);
        Assert.Equal("5.1.1", r["Status"]);
        Assert.Equal("dns; mx.example.net", r["Remote-MTA"]);
        Assert.Equal("smtp; 550 5.1.1 no such user", r["Diagnostic-Code"]);
        Assert.Equal(Now.AddMinutes(-1), ParseDate(r["Last-Attempt-Date"]));
        Assert.Null(r["Will-Retry-Until"]);
        // No RET: headers only (RFC 3461 4.3 leaves it to the MTA).
        Assert.Equal(ReturnedContent.Headers, result.ReturnedContent);
        var headers = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("hello", headers.Message!.Subject);
        Assert.DoesNotContain("body line", ((TextPart)report[0]).Text, StringComparison.Ordinal);
        Assert.Contains("550 5.1.1 no such user", ((TextPart)report[0]).Text, StringComparison.Ordinal);
        Assert.False(result.International);
    }

    private static DateTimeOffset ParseDate(string? text)
    {
        Assert.NotNull(text);
        Assert.True(MimeKit.Utils.DateUtils.TryParse(text, out var date), text);
        return date;
    }

    [Fact]
    public async Task Delay_has_will_retry_until_and_a_class_4_status_from_the_reply_code()
    {
        var delayed = new BounceRecipient
        {
            FinalRecipient = EnvelopeAddress.Parse("rcpt@example.net"),
            Action = DsnAction.Delayed,
            Response = Reply(451, "", "451 greylisted, come back later"),
            RemoteMta = Domain.Parse("mx.example.net"),
            WillRetryUntil = RetryUntil,
        };
        var (message, _) = await RoundTripAsync(await BounceComposer.ComposeAsync(Request(delayed)));
        Assert.Equal("Delivery Status Notification (Delay)", message.Subject);
        var r = Parts(message).Groups[1];
        Assert.Equal("delayed", r["Action"]);
        Assert.Equal("4.0.0", r["Status"]);
        Assert.Equal("smtp; 451 greylisted, come back later", r["Diagnostic-Code"]);
        Assert.Equal(RetryUntil, ParseDate(r["Will-Retry-Until"]));
        Assert.Equal(Now, ParseDate(r["Last-Attempt-Date"]));
    }

    [Fact]
    public async Task Success_is_reported_only_with_notify_success()
    {
        var delivered = new BounceRecipient
        {
            FinalRecipient = EnvelopeAddress.Parse("rcpt@example.net"),
            Action = DsnAction.Delivered,
            Response = Reply(250, "2.0.0", "250 2.0.0 ok queued as 123"),
            RemoteMta = Domain.Parse("mx.example.net"),
        };
        var none = await BounceComposer.ComposeAsync(Request(delivered));
        Assert.Null(none.Message);
        Assert.Equal(BounceSuppression.NotRequested, none.SuppressedReason);

        var (message, _) = await RoundTripAsync(await BounceComposer.ComposeAsync(Request(delivered with { Notify = DsnNotify.Success })));
        Assert.Equal("Delivery Status Notification (Success)", message.Subject);
        var r = Parts(message).Groups[1];
        Assert.Equal("delivered", r["Action"]);
        Assert.Equal("2.0.0", r["Status"]);
    }

    [Theory]
    [InlineData(DsnNotify.Never, DsnAction.Failed, BounceSuppression.NotifyNever)]
    [InlineData(DsnNotify.Delay, DsnAction.Failed, BounceSuppression.NotRequested)]
    [InlineData(DsnNotify.Failure, DsnAction.Delayed, BounceSuppression.NotRequested)]
    [InlineData(DsnNotify.Failure | DsnNotify.Delay, DsnAction.Delivered, BounceSuppression.NotRequested)]
    public async Task Notify_without_the_matching_value_gives_no_notification(DsnNotify notify, DsnAction action, BounceSuppression reason)
    {
        var result = await BounceComposer.ComposeAsync(Request(Failed() with { Notify = notify, Action = action }));
        Assert.Null(result.Message);
        Assert.Equal(reason, result.SuppressedReason);
        Assert.Empty(result.ReportedRecipients);
        Assert.Throws<InvalidOperationException>(() => result.ToDeliveryRequest());
    }

    [Fact]
    public async Task A_message_from_the_null_reverse_path_is_never_bounced()
    {
        var result = await BounceComposer.ComposeAsync(Request(Failed()) with { OriginalSender = EnvelopeAddress.NullReversePath });
        Assert.Null(result.Message);
        Assert.Equal(BounceSuppression.NullReversePath, result.SuppressedReason);
        Assert.True(result.MailFrom.IsNullReversePath);
    }

    [Fact]
    public async Task No_recipients_gives_no_notification()
    {
        var result = await BounceComposer.ComposeAsync(Request());
        Assert.Equal(BounceSuppression.NoRecipients, result.SuppressedReason);
    }

    [Fact]
    public async Task Mixed_recipients_report_only_those_whose_notify_asks()
    {
        var failed = Failed("a@example.net");
        var never = Failed("b@example.net") with { Notify = DsnNotify.Never };
        var delayed = new BounceRecipient
        {
            FinalRecipient = EnvelopeAddress.Parse("c@example.net"),
            Action = DsnAction.Delayed,
            Response = Reply(450, "4.2.1", "450 4.2.1 mailbox busy"),
            Notify = DsnNotify.Delay | DsnNotify.Failure,
            WillRetryUntil = RetryUntil,
        };
        var delivered = new BounceRecipient { FinalRecipient = EnvelopeAddress.Parse("d@example.net"), Action = DsnAction.Delivered };
        var result = await BounceComposer.ComposeAsync(Request(failed, never, delayed, delivered));
        Assert.Equal(["a@example.net", "c@example.net"], result.ReportedRecipients.Select(r => r.FinalRecipient.ToString()));
        var (message, _) = await RoundTripAsync(result);
        Assert.Equal("Delivery Status Notification (Failure)", message.Subject);
        var groups = Parts(message).Groups;
        Assert.Equal(3, groups.Count);
        Assert.Equal("rfc822; a@example.net", groups[1]["Final-Recipient"]);
        Assert.Equal("failed", groups[1]["Action"]);
        Assert.Equal("rfc822; c@example.net", groups[2]["Final-Recipient"]);
        Assert.Equal("delayed", groups[2]["Action"]);
        Assert.Equal("4.2.1", groups[2]["Status"]);
        Assert.Null(groups[2]["Remote-MTA"]);
    }

    [Fact]
    public async Task Ret_full_returns_the_whole_message_and_ret_hdrs_only_its_headers()
    {
        var full = await BounceComposer.ComposeAsync(Request(Failed()) with { Return = DsnReturn.Full });
        Assert.Equal(ReturnedContent.FullMessage, full.ReturnedContent);
        var (message, _) = await RoundTripAsync(full);
        var part = Assert.IsType<MessagePart>(Parts(message).Report[2]);
        Assert.Equal("message/rfc822", part.ContentType.MimeType);
        Assert.Equal("hello", part.Message!.Subject);
        Assert.Equal("body line one\r\nbody line two\r\n", part.Message!.TextBody!.ReplaceLineEndings("\r\n"));

        var hdrs = await BounceComposer.ComposeAsync(Request(Failed()) with { Return = DsnReturn.Headers });
        Assert.Equal(ReturnedContent.Headers, hdrs.ReturnedContent);
        var (message2, bytes2) = await RoundTripAsync(hdrs);
        var headers = Assert.IsType<TextRfc822Headers>(Parts(message2).Report[2]);
        Assert.Equal("text/rfc822-headers", headers.ContentType.MimeType);
        Assert.Equal("<orig-1@example.org>", headers.Message!.Headers[HeaderId.MessageId]);
        Assert.DoesNotContain("body line", Encoding.UTF8.GetString(bytes2), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ret_full_above_the_size_cap_returns_headers_only_and_reads_no_more_than_the_cap()
    {
        var big = Original + new string('x', 10_000) + "\r\n";
        var stream = new CountingStream(Encoding.UTF8.GetBytes(big));
        var result = await BounceComposer.ComposeAsync(Request(Failed()) with
        {
            Return = DsnReturn.Full,
            MaxReturnedMessageSize = 1000,
            OpenOriginalMessage = () => stream,
        });
        Assert.Equal(ReturnedContent.Headers, result.ReturnedContent);
        Assert.True(stream.BytesRead <= 1001, $"read {stream.BytesRead}");
        var (message, bytes) = await RoundTripAsync(result);
        Assert.IsType<TextRfc822Headers>(Parts(message).Report[2]);
        Assert.DoesNotContain("xxxxxxxx", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_section_above_the_cap_is_cut_at_a_line_end()
    {
        var headers = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            headers.Append("X-Filler-").Append(i).Append(": ").Append('y', 40).Append("\r\n");
        }
        var text = headers + "\r\nbody\r\n";
        var result = await BounceComposer.ComposeAsync(Request(Failed()) with
        {
            MaxReturnedMessageSize = 500,
            OpenOriginalMessage = () => new MemoryStream(Encoding.ASCII.GetBytes(text)),
        });
        Assert.Equal(ReturnedContent.TruncatedHeaders, result.ReturnedContent);
        var (message, _) = await RoundTripAsync(result);
        var part = Assert.IsType<TextRfc822Headers>(Parts(message).Report[2]);
        Assert.Equal("X-Filler-0", part.Message!.Headers[0].Field);
        Assert.InRange(part.Message.Headers.Count, 5, 10);
        Assert.All(part.Message.Headers, h => Assert.Equal(new string('y', 40), h.Value));
    }

    [Fact]
    public async Task Envid_and_orcpt_become_original_envelope_id_and_original_recipient()
    {
        var recipient = Failed() with { OriginalRecipient = EnvelopeAddress.Parse("alias@example.org"), Notify = DsnNotify.Failure };
        var (message, _) = await RoundTripAsync(await BounceComposer.ComposeAsync(Request(recipient) with { EnvelopeId = "QQ314159" }));
        var groups = Parts(message).Groups;
        Assert.Equal("QQ314159", groups[0]["Original-Envelope-Id"]);
        Assert.Equal("rfc822; alias@example.org", groups[1]["Original-Recipient"]);
        Assert.Equal("rfc822; rcpt@example.net", groups[1]["Final-Recipient"]);
    }

    [Fact]
    public async Task Utf8_addresses_use_the_global_types_of_RFC_6533()
    {
        var recipient = Failed("δοκιμή@παράδειγμα.δοκιμή") with { OriginalRecipient = EnvelopeAddress.Parse("用户@例子.测试") };
        var request = Request(recipient) with { OriginalSender = EnvelopeAddress.Parse("sender@example.org"), Return = DsnReturn.Full };
        var result = await BounceComposer.ComposeAsync(request);
        Assert.True(result.International);
        var delivery = result.ToDeliveryRequest();
        Assert.True((delivery.Requirements & DeliveryRequirements.SmtpUtf8) != 0);
        var (message, _) = await RoundTripAsync(result);
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("message/global-delivery-status", report[1].ContentType.MimeType);
        Assert.Equal("message/global", report[2].ContentType.MimeType);
        var groups = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups;
        Assert.Equal("utf-8; δοκιμή@παράδειγμα.δοκιμή", groups[1]["Final-Recipient"]);
        Assert.Equal("utf-8; 用户@例子.测试", groups[1]["Original-Recipient"]);
        Assert.Contains("δοκιμή@παράδειγμα.δοκιμή", ((TextPart)report[0]).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_ascii_domain_alone_stays_ascii_in_a_labels()
    {
        var result = await BounceComposer.ComposeAsync(Request(Failed("user@bücher.example")));
        Assert.False(result.International);
        var (message, _) = await RoundTripAsync(result);
        Assert.Equal("rfc822; user@xn--bcher-kva.example", Parts(message).Groups[1]["Final-Recipient"]);
    }

    [Fact]
    public async Task Multi_line_replies_go_into_one_diagnostic_code()
    {
        var recipient = Failed() with { Response = Reply(550, "5.7.1", "550-5.7.1 first line", "550-5.7.1 second line", "550 5.7.1 third line") };
        var (message, _) = await RoundTripAsync(await BounceComposer.ComposeAsync(Request(recipient)));
        var r = Parts(message).Groups[1];
        Assert.Equal("smtp; 550-5.7.1 first line 550-5.7.1 second line 550 5.7.1 third line", Unfold(r["Diagnostic-Code"]));
        Assert.Equal("5.7.1", r["Status"]);
    }

    private static string Unfold(string? value) => (value ?? "").Replace("\r\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Trim();

    [Fact]
    public async Task A_hostile_reply_adds_no_fields_headers_or_parts()
    {
        // CR, LF, NUL, other controls, a fake boundary, fake status fields and a Unicode line separator.
        var hostile = Reply(550, "5.1.1\r\nAction: delivered",
            "550-5.1.1 bad\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\nFinal-Recipient: rfc822; evil@example.com",
            "550-5.1.1 \n--boundary\nContent-Type: text/html\n\n<script>",
            "550 5.1.1 \u0000nul\u001b[31mesc\u2028sep\u0085nel " + new string('z', 3000));
        var recipient = Failed() with { Response = hostile, Error = "err\r\nBcc: victim@example.com" };
        var result = await BounceComposer.ComposeAsync(Request(recipient) with
        {
            Subject = "subject\r\nBcc: victim@example.com",
            EnvelopeId = "id\r\nX-Injected: yes",
        });
        var (message, bytes) = await RoundTripAsync(result);
        Assert.Null(message.Headers["Bcc"]);
        Assert.Null(message.Headers["X-Injected"]);
        Assert.Equal("subject Bcc: victim@example.com", message.Subject);
        var (report, groups) = Parts(message);
        Assert.Equal(3, report.Count);
        Assert.Equal(2, groups.Count);
        var r = groups[1];
        Assert.Equal(["Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code", "Last-Attempt-Date"], r.Select(h => h.Field));
        Assert.Equal("failed", r["Action"]);
        // An enhanced code that is not one is not used: the reply code's class.
        Assert.Equal("5.0.0", r["Status"]);
        Assert.Equal("rfc822; rcpt@example.net", r["Final-Recipient"]);
        var diagnostic = Unfold(r["Diagnostic-Code"]);
        Assert.StartsWith("smtp; 550-5.1.1 bad Action: delivered Status: 2.0.0 Final-Recipient: rfc822; evil@example.com 550-5.1.1 --boundary Content-Type: text/html <script> 550 5.1.1 nul [31mesc sep nel zzz", diagnostic, StringComparison.Ordinal);
        Assert.Equal(["id X-Injected: yes"], groups[0].Where(h => h.Field == "Original-Envelope-Id").Select(h => h.Value));
        // Every line of the message is at most 998 octets (RFC 5322 2.1.1), and no control characters remain.
        foreach (var line in Encoding.UTF8.GetString(bytes).Split("\r\n"))
        {
            Assert.True(line.Length <= 998, $"line of {line.Length}");
            Assert.DoesNotContain(line, c => c < ' ' && c != '\t' || c == '\u007f' || c == '\u0085' || c == '\u2028');
        }
        // In the text part, server lines are indented: none can start a boundary.
        var text = ((TextPart)report[0]).Text;
        Assert.DoesNotContain(text.Split('\n'), l => l.StartsWith("--", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hostile_reply_in_an_international_notification_keeps_utf8_but_no_controls()
    {
        var hostile = Reply(550, "5.1.1", "550-5.1.1 grüße\r\nAction: delivered\u2029Status: 2.0.0", "550 5.1.1 ünd\u0000\u001b\u0085 end");
        var recipient = Failed("δοκιμή@example.net") with { Response = hostile };
        var result = await BounceComposer.ComposeAsync(Request(recipient) with { MaxReturnedMessageSize = int.MaxValue });
        Assert.True(result.International);
        var (message, bytes) = await RoundTripAsync(result);
        var (report, groups) = Parts(message);
        Assert.Equal("message/global-delivery-status", report[1].ContentType.MimeType);
        Assert.Equal(2, groups.Count);
        Assert.Equal(["Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code", "Last-Attempt-Date"], groups[1].Select(h => h.Field));
        Assert.Equal("failed", groups[1]["Action"]);
        Assert.Equal("smtp; 550-5.1.1 grüße Action: delivered Status: 2.0.0 550 5.1.1 ünd end", Unfold(groups[1]["Diagnostic-Code"]));
        foreach (var line in Encoding.UTF8.GetString(bytes).Split("\r\n"))
        {
            Assert.DoesNotContain(line, c => c < ' ' && c != '\t' || c == '\u007f' || c == '\u0085' || c == '\u2029');
        }
    }

    [Fact]
    public async Task Outcomes_of_a_delivery_map_to_actions_notify_orcpt_and_the_remote_mta()
    {
        var outcome = new DeliveryOutcome(
            [
                new RecipientOutcome(EnvelopeAddress.Parse("a@example.net"), RecipientStatus.Permanent, Reply(550, "5.1.1", "550 5.1.1 unknown"), "550 5.1.1 unknown") { RemoteHost = Domain.Parse("mx2.example.net") },
                new RecipientOutcome(EnvelopeAddress.Parse("b@example.net"), RecipientStatus.Transient, Reply(451, "4.3.0", "451 4.3.0 later"), "451 4.3.0 later") { RemoteHost = Domain.Parse("mx2.example.net") },
                new RecipientOutcome(EnvelopeAddress.Parse("c@example.net"), RecipientStatus.Delivered, Reply(250, "2.1.5", "250 2.1.5 ok"), "") { RemoteHost = Domain.Parse("mx2.example.net") },
            ],
            [
                new DeliveryAttempt(Domain.Parse("mx1.example.net"), null, TlsStatus.None, null, "no address"),
                new DeliveryAttempt(Domain.Parse("mx2.example.net"), System.Net.IPAddress.Loopback, TlsStatus.None, null, ""),
            ],
            new global::SmtpDeliver.TlsRpt.TlsRptResult(global::SmtpDeliver.TlsRpt.PolicyType.NoPolicyFound, "example.net"), []);
        var dsn = new DsnRequest
        {
            Recipients =
            [
                new DsnRecipient { Notify = DsnNotify.Failure, OriginalRecipient = EnvelopeAddress.Parse("orig-a@example.org") },
                new DsnRecipient(),
                new DsnRecipient { Notify = DsnNotify.Success },
            ],
        };
        var recipients = BounceRecipient.FromDeliveryOutcome(outcome, dsn, finalAttempt: false, Now, RetryUntil);
        Assert.Equal([DsnAction.Failed, DsnAction.Delayed, DsnAction.Delivered], recipients.Select(r => r.Action));
        Assert.All(recipients, r => Assert.Equal("mx2.example.net", r.RemoteMta.Ascii));
        var (message, _) = await RoundTripAsync(await BounceComposer.ComposeAsync(Request([.. recipients])));
        var groups = Parts(message).Groups;
        Assert.Equal(4, groups.Count);
        Assert.Equal("rfc822; orig-a@example.org", groups[1]["Original-Recipient"]);
        Assert.Equal("dns; mx2.example.net", groups[1]["Remote-MTA"]);
        Assert.Equal(RetryUntil, ParseDate(groups[2]["Will-Retry-Until"]));
        Assert.Equal("delivered", groups[3]["Action"]);

        var final = BounceRecipient.FromDeliveryOutcome(outcome, dsn, finalAttempt: true, Now);
        Assert.Equal(DsnAction.Failed, final[1].Action);
        Assert.Null(final[1].WillRetryUntil);
        Assert.Throws<ArgumentException>(() => BounceRecipient.FromDeliveryOutcome(outcome, dsn with { Recipients = [new DsnRecipient()] }, true, Now));
    }

    [Fact]
    public void An_uncertain_outcome_gets_no_dsn_action()
    {
        // Review: it was reported as delayed (or failed at the last attempt) though the message may have been
        // delivered, inviting the sender to send it again.
        var uncertain = new RecipientOutcome(EnvelopeAddress.Parse("u@example.net"), RecipientStatus.Uncertain, null, "no reply after the data");
        var failed = new RecipientOutcome(EnvelopeAddress.Parse("f@example.net"), RecipientStatus.Permanent, Reply(550, "5.1.1", "550 5.1.1 unknown"), "550 5.1.1 unknown");
        Assert.Throws<ArgumentException>(() => BounceRecipient.FromOutcome(uncertain, finalAttempt: true));
        var outcome = new DeliveryOutcome([uncertain, failed], [], new global::SmtpDeliver.TlsRpt.TlsRptResult(global::SmtpDeliver.TlsRpt.PolicyType.NoPolicyFound, "example.net"), []);
        var recipients = BounceRecipient.FromDeliveryOutcome(outcome, null, finalAttempt: true, Now);
        Assert.Equal("f@example.net", Assert.Single(recipients).FinalRecipient.ToString());
    }

    private sealed class CountingStream(byte[] data) : MemoryStream(data)
    {
        public long BytesRead { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await base.ReadAsync(buffer, cancellationToken);
            BytesRead += n;
            return n;
        }
    }
}
