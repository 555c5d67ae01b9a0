using System.Net;
using System.Text;
using CsCheck;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>Issue 12: delivery status notifications (RFC 3461) on MAIL and RCPT, only when DSN is announced.</summary>
public class DsnTests
{
    private static readonly SmtpSessionOptions Fast = new() { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) };
    private static readonly byte[] Message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();

    private static async Task<SmtpClientSession> ConnectAsync(ScriptedSmtpServer s) =>
        await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), Fast with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });

    private static EnvelopeAddress A(string s) => EnvelopeAddress.Parse(s);

    private static Task<IReadOnlyList<SmtpResponse>> DeliverAsync(SmtpClientSession c, string[] rcpts, DsnRequest? dsn) =>
        c.DeliverMultipleAsync(A("a@example.org"), rcpts.Select(A).ToList(), Message.Length, new MemoryStream(Message), DeliveryRequirements.None, dsn);

    private static readonly string[] DataAndQuit = ["S: 354 go", "C: Subject: x", "C: ", "C: body", "C: .", "S: 250 queued", "C: QUIT", "S: 221 bye"];

    [Fact]
    public void Ehlo_dsn_is_recognised()
    {
        Assert.True(EhloExtensions.Parse(["dsn"]).Dsn);
        Assert.False(EhloExtensions.Parse(["DSNX", "8BITMIME"]).Dsn);
    }

    [Fact]
    public async Task Mail_and_rcpt_carry_ret_envid_notify_and_orcpt()
    {
        await using var s = ScriptedSmtpServer.Play([
            "S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 DSN",
            "C: MAIL FROM:<a@example.org> RET=HDRS ENVID=a+2Bb+3Dc+20d", "S: 250 ok",
            "C: RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.org", "S: 250 ok",
            "C: DATA", .. DataAndQuit]);
        await using var c = await ConnectAsync(s);
        Assert.True(c.Extensions.Dsn);
        var r = await DeliverAsync(c, ["b@example.org"], new DsnRequest
        {
            Return = DsnReturn.Headers,
            EnvelopeId = "a+b=c d",
            Recipients = [new DsnRecipient { Notify = DsnNotify.Success | DsnNotify.Failure, OriginalRecipient = A("b@example.org") }],
        });
        Assert.True(r[0].IsSuccess);
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Pipelined_recipients_each_get_their_own_parameters()
    {
        await using var s = ScriptedSmtpServer.Play([
            "S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250-PIPELINING", "S: 250 DSN",
            "C: MAIL FROM:<a@example.org> RET=FULL",
            "C: RCPT TO:<r1@example.org> NOTIFY=NEVER",
            "C: RCPT TO:<r2@example.org> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;x+2By+3Dz@example.org",
            "C: RCPT TO:<r3@example.org> ORCPT=utf-8;+C3+B8@example.org",
            "C: RCPT TO:<r4@example.org> NOTIFY=DELAY",
            "C: RCPT TO:<r5@example.org>",
            "C: DATA",
            "S: 250 ok", "S: 250 ok", "S: 250 ok", "S: 250 ok", "S: 250 ok", "S: 250 ok", .. DataAndQuit]);
        await using var c = await ConnectAsync(s);
        var r = await DeliverAsync(c, ["r1@example.org", "r2@example.org", "r3@example.org", "r4@example.org", "r5@example.org"], new DsnRequest
        {
            Return = DsnReturn.Full,
            Recipients =
            [
                new DsnRecipient { Notify = DsnNotify.Never },
                new DsnRecipient { Notify = DsnNotify.Delay | DsnNotify.Failure | DsnNotify.Success, OriginalRecipient = A("x+y=z@example.org") },
                new DsnRecipient { OriginalRecipient = A("ø@example.org") },
                new DsnRecipient { Notify = DsnNotify.Delay },
                new DsnRecipient(),
            ],
        });
        Assert.All(r, x => Assert.True(x.IsSuccess));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Server_without_dsn_gets_no_dsn_parameters()
    {
        await using var s = ScriptedSmtpServer.Play([
            "S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 8BITMIME",
            "C: MAIL FROM:<a@example.org> BODY=7BIT", "S: 250 ok",
            "C: RCPT TO:<b@example.org>", "S: 250 ok",
            "C: DATA", .. DataAndQuit]);
        await using var c = await ConnectAsync(s);
        await DeliverAsync(c, ["b@example.org"], new DsnRequest
        {
            Return = DsnReturn.Headers,
            EnvelopeId = "id1",
            Recipients = [new DsnRecipient { Notify = DsnNotify.Never, OriginalRecipient = A("b@example.org") }],
        });
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.DoesNotContain(s.Transcript, l => l.Contains("RET=", StringComparison.Ordinal) || l.Contains("ENVID=", StringComparison.Ordinal) || l.Contains("NOTIFY=", StringComparison.Ordinal) || l.Contains("ORCPT=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Required_dsn_on_a_server_without_it_fails_before_mail()
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 PIPELINING", "C: QUIT", "S: 221 bye");
        await using var c = await ConnectAsync(s);
        var e = await Assert.ThrowsAsync<SmtpException>(() => DeliverAsync(c, ["b@example.org"], new DsnRequest { EnvelopeId = "x", RequireSupport = true }));
        Assert.Equal((SmtpErrorReason.DsnUnsupported, false, false), (e.Reason, e.Permanent, c.IsBroken));
        await c.CloseAsync();
        await s.CompletionAsync();
        Assert.DoesNotContain(s.Transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal));
    }

    public static TheoryData<string> BadEnvelopeIds => new() { "", new string('x', 101), "a\r\nRSET", "a\nb", "\u00e9", "tab\there", "\u007f" };

    [Theory]
    [MemberData(nameof(BadEnvelopeIds))]
    public async Task Invalid_envid_is_refused_before_anything_is_written(string envid)
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 DSN", "C: QUIT", "S: 221 bye");
        await using var c = await ConnectAsync(s);
        await Assert.ThrowsAsync<ArgumentException>(() => DeliverAsync(c, ["b@example.org"], new DsnRequest { EnvelopeId = envid }));
        Assert.False(c.IsBroken);
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Envid_of_100_printable_characters_is_accepted()
    {
        var envid = new string('~', 99) + " ";
        await using var s = ScriptedSmtpServer.Play([
            "S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 DSN",
            "C: MAIL FROM:<a@example.org> ENVID=" + new string('~', 99) + "+20", "S: 250 ok",
            "C: RCPT TO:<b@example.org>", "S: 250 ok",
            "C: DATA", .. DataAndQuit]);
        await using var c = await ConnectAsync(s);
        await DeliverAsync(c, ["b@example.org"], new DsnRequest { EnvelopeId = envid });
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    public static TheoryData<DsnRequest> BadRecipientRequests => new()
    {
        new DsnRequest { Recipients = [new DsnRecipient { Notify = DsnNotify.Never | DsnNotify.Failure }] },
        new DsnRequest { Recipients = [new DsnRecipient { Notify = DsnNotify.Never | DsnNotify.Success | DsnNotify.Delay }] },
        new DsnRequest { Recipients = [new DsnRecipient { Notify = (DsnNotify)16 }] },
        new DsnRequest { Recipients = [new DsnRecipient(), new DsnRecipient()] },
        new DsnRequest { Recipients = [] },
        new DsnRequest { Recipients = [new DsnRecipient { OriginalRecipient = EnvelopeAddress.NullReversePath }] },
    };

    [Theory]
    [MemberData(nameof(BadRecipientRequests))]
    public async Task Invalid_recipient_entries_are_refused_before_anything_is_written(DsnRequest dsn)
    {
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 DSN", "C: QUIT", "S: 221 bye");
        await using var c = await ConnectAsync(s);
        await Assert.ThrowsAsync<ArgumentException>(() => DeliverAsync(c, ["b@example.org"], dsn));
        await c.CloseAsync();
        await s.CompletionAsync();
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("abc", "abc")]
    [InlineData("a+b=c", "a+2Bb+3Dc")]
    [InlineData("a b\r\n", "a+20b+0D+0A")]
    [InlineData("!~", "!~")]
    [InlineData("\u00f8", "+C3+B8")]
    [InlineData("\u007f\u0000", "+7F+00")]
    public void Xtext_encodes_per_rfc3461(string value, string expected) => Assert.Equal(expected, XText.Encode(value));

    [Fact]
    public void Xtext_is_printable_ascii_without_space_and_decodes_to_the_utf8_bytes() =>
        Gen.String[Gen.Char, 0, 60].Sample(value =>
        {
            var encoded = XText.Encode(value);
            if (encoded.Any(ch => ch is < '!' or > '~'))
            {
                return false;
            }
            var decoded = new List<byte>();
            for (var i = 0; i < encoded.Length; i++)
            {
                if (encoded[i] == '+')
                {
                    decoded.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                    i += 2;
                }
                else if (encoded[i] == '=')
                {
                    return false;
                }
                else
                {
                    decoded.Add((byte)encoded[i]);
                }
            }
            return decoded.SequenceEqual(Encoding.UTF8.GetBytes(value));
        }, iter: 5_000);

    [Fact]
    public void Envid_reaches_the_wire_only_as_printable_ascii_without_space_or_line_break() =>
        Gen.String[Gen.Char['\u0000', '\u00ff'], 0, 110].Sample(envid =>
        {
            var valid = envid.Length is > 0 and <= 100 && envid.All(ch => ch is >= ' ' and <= '~');
            var encoded = XText.Encode(envid);
            return !valid || encoded.All(ch => ch is > ' ' and <= '~');
        }, iter: 5_000);

    // The deliverer slices the DSN entries to each RCPTMAX=1 transaction.
    [Fact]
    public async Task Deliverer_passes_each_transaction_its_recipients_dsn_entries()
    {
        await using var server = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO client.example");
            await ss.WriteLineAsync("250-mx.example");
            await ss.WriteLineAsync("250-DSN");
            await ss.WriteLineAsync("250 LIMITS RCPTMAX=1");
            foreach (var (rcpt, parameters) in new[] { ("r1@example.org", " NOTIFY=NEVER"), ("r2@example.org", " NOTIFY=SUCCESS ORCPT=rfc822;o2@example.org"), ("r3@example.org", "") })
            {
                await ss.ExpectAsync("MAIL FROM:<a@client.example> RET=HDRS ENVID=q1");
                await ss.WriteLineAsync("250 ok");
                await ss.ExpectAsync($"RCPT TO:<{rcpt}>{parameters}");
                await ss.WriteLineAsync("250 ok");
                await ss.ExpectAsync("DATA");
                await ss.WriteLineAsync("354 go");
                await ss.ReadDataAsync();
                await ss.WriteLineAsync("250 queued");
            }
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        var resolver = new InMemoryResolver { Mx = { ["example.org."] = [new MxRecord("mx.example.org.", 10)] }, A = { ["mx.example.org."] = ["127.0.0.1"] } };
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.example"),
            Port = server.EndPoint.Port,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        });
        var outcome = await deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = A("a@client.example"),
            Recipients = [A("r1@example.org"), A("r2@example.org"), A("r3@example.org")],
            OpenMessage = () => new MemoryStream(Message),
            Size = Message.Length,
            Dsn = new DsnRequest
            {
                Return = DsnReturn.Headers,
                EnvelopeId = "q1",
                Recipients = [new DsnRecipient { Notify = DsnNotify.Never }, new DsnRecipient { Notify = DsnNotify.Success, OriginalRecipient = A("o2@example.org") }, new DsnRecipient()],
            },
        });
        await server.CompletionAsync();
        Assert.All(outcome.Recipients, r => Assert.Equal(RecipientStatus.Delivered, r.Status));
        Assert.Equal(IPAddress.Loopback, Assert.Single(outcome.Attempts).Address);
    }
}
