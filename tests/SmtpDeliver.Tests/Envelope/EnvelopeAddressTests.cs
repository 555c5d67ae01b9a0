using System.Net;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Envelope;

/// <summary>RFC 5321 4.1.2 / RFC 6531 envelope addresses: what is accepted, what is refused before any byte is written.</summary>
public class EnvelopeAddressTests
{
    [Theory]
    [InlineData("user@example.org", "user@example.org")]
    [InlineData("first.last+tag@example.org", "first.last+tag@example.org")]
    [InlineData("!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org")]
    [InlineData("\"a b\"@example.org", "\"a b\"@example.org")]
    [InlineData("\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org")]
    [InlineData("\".leading\"@example.org", "\".leading\"@example.org")]
    [InlineData("user@EXAMPLE.org", "user@example.org")]
    [InlineData("user@XN--MNCHEN-3YA.example", "user@xn--mnchen-3ya.example")]
    [InlineData("user@MÜNCHEN.example", "user@xn--mnchen-3ya.example")]
    [InlineData("user@[127.0.0.1]", "user@[127.0.0.1]")]
    [InlineData("user@[IPv6:::1]", "user@[IPv6:::1]")]
    [InlineData("user@[x-tag:anything]", "user@[x-tag:anything]")]
    public void Valid_addresses_parse_and_keep_their_wire_form(string text, string wire) =>
        Assert.Equal(wire, EnvelopeAddress.Parse(text).ToWireForm(smtpUtf8: false));

    [Fact]
    public void Utf8_local_part_needs_smtputf8_and_a_utf8_domain_goes_as_a_labels_without_it()
    {
        var a = EnvelopeAddress.Parse("jörg@münchen.example");
        Assert.True(a.RequiresSmtpUtf8);
        Assert.Equal("jörg@münchen.example", a.ToWireForm(smtpUtf8: true));
        var b = EnvelopeAddress.Parse("joerg@münchen.example");
        Assert.False(b.RequiresSmtpUtf8);
        Assert.Equal("joerg@xn--mnchen-3ya.example", b.ToWireForm(smtpUtf8: false));
    }

    // Issue 11 item 1: every one of these reached the wire unchecked before the fix.
    [Theory]
    [InlineData("", "empty")]
    [InlineData("user@example.org>\r\nRCPT TO:<hidden@evil.example", "invalid domain")]
    [InlineData("user>\r\nRCPT TO:<hidden@evil.example", "character not allowed")]
    [InlineData("user@example.org\r\nDATA", "invalid domain")]
    [InlineData("us\ner@example.org", "U+000A")]
    [InlineData("user\r@example.org", "U+000D")]
    [InlineData("us\0er@example.org", "U+0000")]
    [InlineData("user@exa\u2028mple.org", "invalid domain")]
    [InlineData("us\u0085er@example.org", "U+0085")]
    [InlineData("<user@example.org>", "character not allowed")]
    [InlineData("user@example.org> SIZE=1", "invalid domain")]
    [InlineData("a b@example.org", "' '")]
    [InlineData(".user@example.org", "empty atom")]
    [InlineData("user.@example.org", "ending with a dot")]
    [InlineData("us..er@example.org", "empty atom")]
    [InlineData("user", "no @")]
    [InlineData("user@", "no domain")]
    [InlineData("@example.org", "empty local part")]
    [InlineData("\"unterminated@example.org", "unterminated")]
    [InlineData("\"a\r\nb\"@example.org", "quoted local part")]
    [InlineData("\"a\\\r\"@example.org", "invalid escape")]
    [InlineData("\"a>b\"@example.org", "quoted local part")]
    [InlineData("\"a\\>b\"@example.org", "invalid escape")]
    [InlineData("user@[127.0.0.1", "must end with ]")]
    [InlineData("user@[300.0.0.1]", "invalid IPv4")]
    [InlineData("user@[IPv6:zz]", "invalid IPv6")]
    [InlineData("user@[tag:a]b]", "invalid address literal")]
    [InlineData("user@[x-tag:a>NOTIFY=NEVER]", "invalid address literal")]
    [InlineData("user@[x-tag:<a]", "invalid address literal")]
    [InlineData("user@[x-tag:a\"b]", "invalid address literal")]
    [InlineData("user@a@example.org", "invalid domain")]
    [InlineData("user@-example.org", "invalid domain")]
    [InlineData("user@example..org", "invalid domain")]
    [InlineData("u@exa\u034Fmple.org", "changes under IDNA mapping")]
    [InlineData("u@exam\uFE0Fple.org", "changes under IDNA mapping")]
    [InlineData("u@example\uFF0Eorg", "changes under IDNA mapping")]
    [InlineData("u@a\u3002b.example", "changes under IDNA mapping")]
    [InlineData("u@\uFF25\uFF38AMPLE.org", "changes under IDNA mapping")]
    [InlineData("u@\u212Fxample.org", "changes under IDNA mapping")]
    public void Invalid_addresses_are_refused_with_a_message_naming_the_problem(string text, string problem)
    {
        var e = Assert.Throws<FormatException>(() => EnvelopeAddress.Parse(text));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Empty_sender_is_the_null_reverse_path_but_never_a_recipient()
    {
        Assert.True(EnvelopeAddress.ParseReversePath("").IsNullReversePath);
        Assert.Throws<FormatException>(() => EnvelopeAddress.Parse(""));
    }

    [Fact]
    public void Next_hop_is_the_domain_or_the_ip_literal()
    {
        Assert.Equal(new IPDomain(Domain.Parse("example.org")), EnvelopeAddress.Parse("a@Example.org").NextHop);
        Assert.Equal(new IPDomain(IPAddress.Loopback), EnvelopeAddress.Parse("a@[127.0.0.1]").NextHop);
        Assert.Throws<InvalidOperationException>(() => EnvelopeAddress.Parse("a@[x-tag:zz]").NextHop);
    }

    // Issue 11 item 1: before the fix the client wrote "RCPT TO:<a@example.org>\r\nRCPT TO:<hidden@evil.example>" as given.
    [Theory]
    [InlineData("a@example.org>\r\nRCPT TO:<hidden@evil.example")]
    [InlineData("a@example.org\r\n.\r\nMAIL FROM:<forged@example.org>")]
    public async Task Injected_recipient_is_refused_before_any_byte_of_the_transaction(string recipient)
    {
        await using var s = ScriptedSmtpServer.Play(
            "S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 PIPELINING",
            "C: QUIT", "S: 221 bye");
        await using var client = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
        var message = "Subject: x\r\n\r\nx\r\n"u8.ToArray();
        await Assert.ThrowsAsync<FormatException>(() => client.DeliverMultipleAsync("a@example.org", [recipient], message.Length, new MemoryStream(message)));
        Assert.False(client.IsBroken);
        await client.CloseAsync();
        await s.CompletionAsync();
        Assert.DoesNotContain(s.Transcript, l => l.StartsWith("C: MAIL", StringComparison.Ordinal) || l.StartsWith("C: RCPT", StringComparison.Ordinal));
    }
}
