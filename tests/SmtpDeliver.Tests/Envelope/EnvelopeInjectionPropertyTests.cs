using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Envelope;

/// <summary>
/// Issue 11 item 1, as a property: no generated string, as an envelope address or EHLO name, ever makes the
/// client write a line the caller did not ask for. Failed before the fix (a CR LF in a recipient wrote a
/// second command).
/// </summary>
public class EnvelopeInjectionPropertyTests
{
    private const string Alphabet = "aZ9.@\"\\<>:[]() \t\r\n\0\u0085\u2028\u00e9\u00fc\ud83d\ude00=,;-_+!#";

    private static string Generate(Random random)
    {
        var length = random.Next(0, 24);
        var b = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            b.Append(random.Next(4) == 0 ? "user@example.org"[random.Next(16)] : Alphabet[random.Next(Alphabet.Length)]);
        }
        // Surrogate pairs may be cut by the generator; that must be refused too.
        return b.ToString();
    }

    [Fact]
    public void Every_parsed_address_has_a_single_line_wire_form_without_brackets_outside_quotes()
    {
        var random = new Random(5321);
        var accepted = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var text = random.Next(4) switch
            {
                0 => "u" + Generate(random) + "@example.org",
                1 => "u@[x-tag:" + Generate(random) + "]",
                _ => Generate(random),
            };
            if (!EnvelopeAddress.TryParse(text, out var address))
            {
                continue;
            }
            accepted++;
            foreach (var wire in new[] { address.ToWireForm(false), address.ToWireForm(true) })
            {
                Assert.DoesNotContain(wire, c => c < ' ' || c == 0x7f || (c >= 0x80 && char.IsControl(c)) || c is '\u2028' or '\u2029');
                var quoted = false;
                for (var j = 0; j < wire.Length; j++)
                {
                    if (quoted && wire[j] == '\\')
                    {
                        j++;
                        continue;
                    }
                    if (wire[j] == '"')
                    {
                        quoted = !quoted;
                    }
                    else if (!quoted)
                    {
                        Assert.False(wire[j] is '<' or '>' or ' ', $"'{wire[j]}' outside quotes in {wire}");
                    }
                }
                Assert.False(quoted);
            }
        }
        Assert.True(accepted > 100, $"the generator produced only {accepted} valid addresses");
    }

    [Fact]
    public async Task The_server_sees_exactly_the_commands_asked_for_whatever_the_addresses()
    {
        var random = new Random(2920);
        var candidates = Enumerable.Range(0, 400).Select(_ => random.Next(2) == 0 ? "r" + Generate(random) + "@example.org" : Generate(random))
            .Where(t => EnvelopeAddress.TryParse(t, out var a) && !a.RequiresSmtpUtf8).Distinct().Take(40).ToList();
        Assert.NotEmpty(candidates);
        var expected = candidates.Count;
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mx.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250 mx.example");
            for (var i = 0; i < expected; i++)
            {
                await ss.ServeTransactionAsync();
            }
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
        });
        var message = "Subject: x\r\n\r\nx\r\n"u8.ToArray();
        await using (var client = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }))
        {
            foreach (var rcpt in candidates)
            {
                await client.DeliverAsync("sender@example.org", rcpt, message.Length, new MemoryStream(message));
            }
            await client.CloseAsync();
        }
        await s.CompletionAsync();
        var commands = s.Transcript.Where(l => l.StartsWith("C: ", StringComparison.Ordinal)).ToList();
        // EHLO, 4 + data lines per message, QUIT: nothing else.
        Assert.Equal(expected, commands.Count(l => l.StartsWith("C: RCPT TO:<", StringComparison.Ordinal)));
        Assert.Equal(expected, commands.Count(l => l.StartsWith("C: MAIL FROM:<", StringComparison.Ordinal)));
        Assert.All(candidates.Zip(commands.Where(l => l.StartsWith("C: RCPT", StringComparison.Ordinal))), p => Assert.Equal($"C: RCPT TO:<{EnvelopeAddress.Parse(p.First).ToWireForm(false)}>", p.Second));
    }

    [Fact]
    public void Ehlo_names_with_anything_but_host_name_characters_are_refused()
    {
        var random = new Random(4321);
        for (var i = 0; i < 50_000; i++)
        {
            var text = Generate(random);
            if (Domain.TryParse(text, out var d))
            {
                Assert.All(d.Ascii, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '.', $"{text} gave {d.Ascii}"));
            }
        }
    }
}
