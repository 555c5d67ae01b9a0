using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Testing;

/// <summary>The sink driven by our own client: transactions, pipelining, BDAT, STARTTLS, faults.</summary>
public class SmtpSinkClientTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes(
        "From: <a@client.example>\r\nTo: <b@sink.example>\r\nSubject: t\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n");

    private static async Task<SmtpClientSession> ConnectAsync(SmtpSink sink, TlsMode tls = TlsMode.None, bool useChunking = true) =>
        await SmtpClientSession.ConnectAsync(await sink.ConnectAsync(), new SmtpSessionOptions
        {
            TlsMode = tls,
            UseChunking = useChunking,
            EnforcePkix = false,
            EhloHostname = Domain.Parse("client.example"),
            RemoteHostname = default,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        });

    private static Task<IReadOnlyList<SmtpResponse>> DeliverAsync(SmtpClientSession client, DeliveryRequirements requirements = DeliveryRequirements.None, params string[] recipients) =>
        client.DeliverMultipleAsync("a@client.example", recipients.Length == 0 ? ["b@sink.example"] : recipients, Message.Length, new MemoryStream(Message), requirements);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Many_transactions_on_one_connection_are_captured_with_envelope_and_exact_unstuffed_bytes(bool useChunking)
    {
        await using var sink = SmtpSink.Start();
        await using (var client = await ConnectAsync(sink, useChunking: useChunking))
        {
            await DeliverAsync(client, DeliveryRequirements.None, "b@sink.example", "c@sink.example");
            await DeliverAsync(client);
            await client.CloseAsync();
        }
        Assert.Equal(1, sink.Connections);
        Assert.Equal(2, sink.MessageCount);
        var first = sink.Messages[0];
        Assert.Equal("a@client.example", first.MailFrom);
        Assert.Equal(["b@sink.example", "c@sink.example"], first.Recipients);
        Assert.StartsWith($"SIZE={Message.Length}", first.MailParameters, StringComparison.Ordinal);
        Assert.Equal(Message, first.Data.ToArray());
        Assert.False(first.Tls);
        // The sink announces CHUNKING and PIPELINING by default, so the client sends BDAT (RFC 3030)
        // unless told not to; DATA is then dot-stuffed on the wire and unstuffed by the sink.
        Assert.Equal(useChunking, first.Chunked);
        Assert.Equal(useChunking, sink.Messages[1].Chunked);
        Assert.Equal(Message, sink.Messages[1].Data.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Pipelining_saves_one_flight_per_command_after_the_first_of_a_transaction(int recipients)
    {
        async Task<long> FlightsAsync(SmtpSinkExtensions extensions)
        {
            await using var sink = SmtpSink.Start(new SmtpSinkOptions { Extensions = extensions });
            await using (var client = await ConnectAsync(sink))
            {
                await DeliverAsync(client, DeliveryRequirements.None, [.. Enumerable.Range(0, recipients).Select(i => $"r{i}@sink.example")]);
                await client.CloseAsync();
            }
            Assert.Equal(1, sink.MessageCount);
            return sink.Flights;
        }
        var pipelined = await FlightsAsync(SmtpSinkExtensions.Pipelining);
        var lockstep = await FlightsAsync(SmtpSinkExtensions.None);
        // MAIL, each RCPT and DATA: one flight with PIPELINING (RFC 2920 3.1), one per command without.
        Assert.Equal(recipients + 1, lockstep - pipelined);
    }

    [Fact]
    public async Task Starttls_with_the_given_certificate_then_requiretls_is_announced()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Certificate = TestCertificates.Server,
            Extensions = SmtpSinkExtensions.Pipelining | SmtpSinkExtensions.StartTls | SmtpSinkExtensions.RequireTls,
            RecordTranscript = true,
        });
        await using (var client = await ConnectAsync(sink, TlsMode.RequiredStartTls))
        {
            Assert.NotNull(client.Tls);
            await DeliverAsync(client, DeliveryRequirements.RequireTls);
            await client.CloseAsync();
        }
        var message = Assert.Single(sink.Messages);
        Assert.True(message.Tls);
        Assert.Contains("REQUIRETLS", message.MailParameters, StringComparison.Ordinal);
        var tls = sink.Transcript.ToList().IndexOf("(tls)");
        Assert.True(tls > 0);
        Assert.Contains(sink.Transcript.Take(tls), l => l is "S: 250-STARTTLS" or "S: 250 STARTTLS");
        Assert.DoesNotContain("S: 250-REQUIRETLS", sink.Transcript.Take(tls));
        Assert.DoesNotContain(sink.Transcript.Skip(tls), l => l.Contains("STARTTLS", StringComparison.Ordinal) && l.StartsWith("S: 250", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reply_per_recipient_refuses_that_recipient_only()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Reply = c => ValueTask.FromResult(c is { Verb: "RCPT", Recipient: 1 } ? "550 5.1.1 no such user" : null),
        });
        IReadOnlyList<SmtpResponse> responses;
        await using (var client = await ConnectAsync(sink))
        {
            responses = await DeliverAsync(client, DeliveryRequirements.None, "b@sink.example", "c@sink.example", "d@sink.example");
        }
        Assert.Equal([true, false, true], responses.Select(r => r.IsSuccess));
        Assert.Equal(["b@sink.example", "d@sink.example"], Assert.Single(sink.Messages).Recipients);
    }

    [Fact]
    public async Task A_reply_per_command_fails_the_transaction_transiently()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { Reply = c => ValueTask.FromResult(c.Verb == "MAIL" ? "451 4.3.0 try later" : null) });
        await using var client = await ConnectAsync(sink);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(client));
        Assert.False(e.Permanent);
        Assert.Equal(451, e.Response.Code);
        Assert.Equal(0, sink.MessageCount);
    }

    [Fact]
    public async Task A_message_reply_refuses_the_message_after_its_data()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { MessageReply = m => ValueTask.FromResult<string?>(m.Data.Length > 0 ? "554 5.6.0 content refused" : null) });
        await using var client = await ConnectAsync(sink);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(client));
        Assert.True(e.Permanent);
        Assert.True(e.MessageDataSent);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task Closing_mid_data_leaves_nothing_captured_and_the_client_fails()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { CloseAfterDataBytes = 10 });
        await using var client = await ConnectAsync(sink);
        await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(client));
        Assert.Equal(0, sink.MessageCount);
    }

    [Fact]
    public async Task A_delay_hook_holds_the_reply_until_released()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Reply = c =>
            {
                if (c.Verb is not ("DATA" or "BDAT"))
                {
                    return ValueTask.FromResult<string?>(null);
                }
                entered.SetResult();
                return new ValueTask<string?>(release.Task);
            },
        });
        await using var client = await ConnectAsync(sink);
        var delivery = DeliverAsync(client);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(delivery.IsCompleted);
        release.SetResult(null);
        await delivery;
        Assert.Equal(1, sink.MessageCount);
    }

    [Fact]
    public async Task Concurrent_connections_are_served_at_once()
    {
        await using var sink = SmtpSink.Start(new SmtpSinkOptions { CaptureMessages = false });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var client = await ConnectAsync(sink);
            for (var i = 0; i < 3; i++)
            {
                await DeliverAsync(client);
            }
            await client.CloseAsync();
        }));
        Assert.Equal(4, sink.Connections);
        Assert.Equal(12, sink.MessageCount);
        Assert.Empty(sink.Messages);
        Assert.Empty(sink.Transcript);
        Assert.Empty(sink.Errors);
    }
}
