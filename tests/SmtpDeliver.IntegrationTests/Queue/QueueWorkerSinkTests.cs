using System.Text.Json;
using QueueWorker;
using SmtpDeliver.Dns;

namespace SmtpDeliver.IntegrationTests.Queue;

/// <summary>The example worker against a loopback <see cref="SmtpSink"/>, for what Postfix cannot be made to do.</summary>
public class QueueWorkerSinkTests
{
    [Fact]
    public async Task An_uncertain_delivery_is_held_never_resent_and_not_bounced()
    {
        // The whole message is read, then the connection closes without a verdict.
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { MessageReply = _ => ValueTask.FromResult<string?>("") });
        await using var q = new QueueHarness("sink.test", sink.EndPoint.Port);
        var message = await q.EnqueueAsync("rcpt1@example.test", "uncertain", "user@sink.test");

        var first = await q.Worker.RunOnceAsync(default);
        Assert.Equal((1, 0, 0, 0), (first.Uncertain, first.Deferred, first.Failed, first.NotificationsQueued));
        Assert.Empty(await q.Spool.LoadAllAsync(default));
        var held = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(q.Spool.HoldDirectory, message.Id + ".json")));
        Assert.Equal("Uncertain", held.RootElement.GetProperty("Recipients")[0].GetProperty("State").GetString());
        Assert.True(File.Exists(Path.Combine(q.Spool.HoldDirectory, message.Id + ".eml")));

        q.Clock.Advance(TimeSpan.FromDays(6));
        var later = await q.Worker.RunOnceAsync(default);
        Assert.Equal(0, later.Messages);
        Assert.Equal(1, sink.Connections);
    }

    [Fact]
    public async Task A_refused_notification_gets_no_notification_of_its_own()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { MessageReply = _ => ValueTask.FromResult<string?>("554 5.6.0 refused"), RecordTranscript = true });
        await using var q = new QueueHarness("sink.test", sink.EndPoint.Port);
        var bounce = new SpoolEnvelope
        {
            Id = Spool.NewId(),
            Kind = SpoolMessageKind.Bounce,
            MailFrom = "",
            Recipients = [new SpoolRecipient { Address = "sender@sink.test" }],
            QueuedAt = q.Clock.Now,
            NextAttemptAt = q.Clock.Now,
        };
        await q.Spool.EnqueueAsync(bounce, () => new MemoryStream("Subject: dsn\r\n\r\nx\r\n"u8.ToArray()), default);

        var pass = await q.Worker.RunOnceAsync(default);
        Assert.Equal((1, 0), (pass.Failed, pass.NotificationsQueued));
        Assert.Empty(await q.Spool.LoadAllAsync(default));
        Assert.Single(sink.Transcript, l => l.StartsWith("C: MAIL FROM:", StringComparison.Ordinal));
        Assert.Contains(sink.Transcript, l => l.StartsWith("C: MAIL FROM:<>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_permanent_failure_of_a_message_to_two_domains_bounces_once_and_delivers_the_other()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            MessageReply = m => ValueTask.FromResult<string?>(m.Recipients.Any(r => r.Contains("refuse", StringComparison.Ordinal)) ? "550 5.7.1 no" : null),
        });
        var zone = new InMemoryResolver
        {
            AllAuthentic = false,
            Mx = { ["a.test."] = [new MxRecord("mx.a.test.", 10)], ["b.test."] = [new MxRecord("mx.b.test.", 10)], ["c.test."] = [new MxRecord("mx.c.test.", 10)] },
            A = { ["mx.a.test."] = ["127.0.0.1"], ["mx.b.test."] = ["127.0.0.1"], ["mx.c.test."] = ["127.0.0.1"] },
        };
        await using var q = new QueueHarness(port: sink.EndPoint.Port, resolver: zone);
        await q.EnqueueAsync("sender@c.test", "two", "one@a.test", "refuse@b.test");

        var first = await q.Worker.RunOnceAsync(default);
        Assert.Equal((1, 1, 1), (first.Delivered, first.Failed, first.NotificationsQueued));
        var second = await q.Worker.RunOnceAsync(default);
        Assert.Equal(1, second.Delivered);
        var dsn = sink.Messages.Single(m => m.MailFrom.Length == 0);
        Assert.Equal(["sender@c.test"], dsn.Recipients);
        Assert.Contains("Final-Recipient: rfc822; refuse@b.test", dsn.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_with_nothing_pending_left_by_a_crash_is_finished_without_sending()
    {
        await using var sink = SmtpSink.Start();
        await using var q = new QueueHarness("sink.test", sink.EndPoint.Port);
        var done = await q.EnqueueAsync("rcpt1@example.test", "done", "user@sink.test");
        done.Recipients[0].State = SpoolRecipientState.Delivered;
        await q.Spool.SaveAsync(done, default);
        var maybe = await q.EnqueueAsync("rcpt1@example.test", "maybe", "user@sink.test");
        maybe.Recipients[0].State = SpoolRecipientState.Uncertain;
        await q.Spool.SaveAsync(maybe, default);

        Assert.Equal(0, (await q.Worker.RunOnceAsync(default)).Messages);
        Assert.Empty(await q.Spool.LoadAllAsync(default));
        Assert.Equal([maybe.Id + ".eml", maybe.Id + ".json"], Directory.GetFiles(q.Spool.HoldDirectory).Select(Path.GetFileName).Order());
        Assert.Equal(0, sink.Connections);
    }
}
