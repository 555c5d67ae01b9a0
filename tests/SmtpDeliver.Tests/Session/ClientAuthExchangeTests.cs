using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.Sasl;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>The AUTH exchange (RFC 4954 4) driven by a scripted mechanism; checklist items 61, 66–71.</summary>
public class ClientAuthExchangeTests
{
    /// <summary>A mechanism that returns fixed steps and can fail on a given challenge.</summary>
    private sealed class ScriptedMechanism(string name, bool cleartext, params SaslStep[] steps) : ISaslClient
    {
        private int _step;

        public string Name => name;

        public bool SendsCleartextCredentials => cleartext;

        public List<byte[]?> Challenges { get; } = [];

        public string? FailOnChallenge { get; init; }

        public ValueTask<SaslStep> NextStepAsync(byte[]? fromServer, CancellationToken cancellationToken)
        {
            Challenges.Add(fromServer);
            if (fromServer is not null && FailOnChallenge is not null && Encoding.ASCII.GetString(fromServer) == FailOnChallenge)
            {
                throw new SaslException("server proof did not match");
            }
            return ValueTask.FromResult(_step < steps.Length ? steps[_step++] : throw new SaslException("no more steps"));
        }
    }

    private static readonly string[] Greeting = ["S: 220 mox.example", "C: EHLO localhost", "S: 250-mox.example", "S: 250 AUTH PLAIN TEST"];

    private static async Task<(SmtpDeliver.SmtpClientSession? SmtpClientSession, SmtpException? Error)> ConnectAsync(ScriptedSmtpServer s, SaslClientSelector selector, CapturingLogger? logger = null, bool allowCleartext = true)
    {
        try
        {
            var c = await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Auth = selector, AuthSecurity = allowCleartext ? AuthSecurity.AllowCleartext : AuthSecurity.VerifiedTls, Logger = logger, Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(5)) }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default });
            return (c, null);
        }
        catch (SmtpException e)
        {
            return (null, e);
        }
    }

    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public async Task Initial_response_and_success_with_enhanced_code_parsed_on_final_reply()
    {
        await using var s = ScriptedSmtpServer.Play([.. Greeting, "C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 235 2.7.0 auth ok", "C: QUIT", "S: 221 ok"]);
        var mech = new ScriptedMechanism("PLAIN", true, new SaslStep(B("\0user\0pass"), true));
        IReadOnlyList<string>? offered = null;
        var (c, e) = await ConnectAsync(s, (mechs, tls) => { offered = mechs; return mech; });
        Assert.Null(e);
        Assert.Equal(["PLAIN", "TEST"], offered);
        await c!.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Empty_initial_response_is_sent_as_equals_sign()
    {
        await using var s = ScriptedSmtpServer.Play([.. Greeting, "C: AUTH EXTERNAL =", "S: 235 ok", "C: QUIT", "S: 221 ok"]);
        var (c, e) = await ConnectAsync(s, (_, _) => new ScriptedMechanism("EXTERNAL", false, new SaslStep([], true)));
        Assert.Null(e);
        await c!.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Challenge_is_decoded_and_answered_and_empty_response_is_an_empty_line()
    {
        await using var s = ScriptedSmtpServer.Play([.. Greeting, "C: AUTH TEST", "S: 334 " + Convert.ToBase64String(B("challenge")), "C: cmVzcG9uc2U=",
            "S: 334 " + Convert.ToBase64String(B("final")), "C: ", "S: 235 ok", "C: QUIT", "S: 221 ok"]);
        var mech = new ScriptedMechanism("TEST", false, new SaslStep(null, false), new SaslStep(B("response"), false), new SaslStep(null, true));
        var (c, e) = await ConnectAsync(s, (_, _) => mech);
        Assert.Null(e);
        Assert.Equal("challenge", Encoding.ASCII.GetString(mech.Challenges[1]!));
        await c!.CloseAsync();
        await s.CompletionAsync();
    }

    [Fact]
    public async Task No_mechanism_is_a_permanent_error_naming_the_server_mechanisms()
    {
        await using var s = ScriptedSmtpServer.Play(Greeting);
        var (_, e) = await ConnectAsync(s, (_, _) => null);
        Assert.Equal((SmtpErrorReason.Authentication, true), (e!.Reason, e.Permanent));
        Assert.Contains("PLAIN, TEST", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleartext_mechanism_without_tls_is_refused_before_anything_is_sent()
    {
        await using var s = ScriptedSmtpServer.Start(async ss =>
        {
            await ss.WriteLineAsync("220 mox.example");
            await ss.ExpectAsync("EHLO localhost");
            await ss.WriteLineAsync("250-mox.example");
            await ss.WriteLineAsync("250 AUTH PLAIN");
            // RFC 5321 4.1.1.10: the session is still in step, so the client says QUIT.
            await ss.ExpectAsync("QUIT");
            await ss.WriteLineAsync("221 bye");
            Assert.Null(await ss.ReadLineAsync());
        });
        var (_, e) = await ConnectAsync(s, (_, _) => new ScriptedMechanism("PLAIN", true, new SaslStep(B("\0user\0secret"), true)), allowCleartext: false);
        Assert.Equal((SmtpErrorReason.CleartextAuthentication, true), (e!.Reason, e.Permanent));
        await s.CompletionAsync();
        Assert.DoesNotContain(s.Transcript, l => l.StartsWith("C: AUTH", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("server success before the last step", "C: AUTH TEST", "S: 235 ok", null, false, 235)]
    [InlineData("continuation after the last step, no abort", "C: AUTH TEST dGVzdA==", "S: 334 ", "test", true, 334)]
    public async Task Reply_out_of_step_with_the_mechanism_fails(string outOfStep, string authLine, string reply, string? initialResponse, bool lastStep, int code)
    {
        _ = outOfStep;
        await using var s = ScriptedSmtpServer.Play([.. Greeting, authLine, reply]);
        var (_, e) = await ConnectAsync(s, (_, _) => new ScriptedMechanism("TEST", false, new SaslStep(initialResponse is null ? null : B(initialResponse), lastStep)));
        Assert.Equal((SmtpErrorReason.Authentication, false, code), (e!.Reason, e.Permanent, e.Response.Code));
    }

    [Theory]
    [InlineData("S: 334 not base64!")]
    [InlineData("S: 334-multi")]
    public async Task Malformed_challenge_aborts_with_star(string challenge)
    {
        string[] lines = challenge == "S: 334-multi" ? ["S: 334-bXVsdGk=", "S: 334 bGluZQ=="] : [challenge];
        await using var s = ScriptedSmtpServer.Play([.. Greeting, "C: AUTH TEST", .. lines, "C: *", "S: 501 5.0.0 aborted", "C: QUIT", "S: 221 ok"]);
        var (c, e) = await ConnectAsync(s, (_, _) => new ScriptedMechanism("TEST", false, new SaslStep(null, false), new SaslStep(B("x"), true)));
        Assert.Null(c);
        Assert.Equal((SmtpErrorReason.Authentication, false, 501, "5.0.0"), (e!.Reason, e.Permanent, e.Response.Code, e.Response.EnhancedStatusCode));
        await s.CompletionAsync(2000).ContinueWith(_ => { });
    }

    [Fact]
    public async Task Mechanism_error_aborts_and_a_non_501_reply_to_the_abort_botches()
    {
        var proof = Convert.ToBase64String(B("e=invalid-proof"));
        await using var s = ScriptedSmtpServer.Play([.. Greeting, "C: AUTH TEST", "S: 334 " + proof, "C: *", "S: 535 5.7.8 bad credentials"]);
        var mech = new ScriptedMechanism("TEST", false, new SaslStep(null, false), new SaslStep(B("x"), true)) { FailOnChallenge = "e=invalid-proof" };
        var (_, e) = await ConnectAsync(s, (_, _) => mech);
        Assert.Equal((SmtpErrorReason.Authentication, false, 535, "5.7.8"), (e!.Reason, e.Permanent, e.Response.Code, e.Response.EnhancedStatusCode));
        Assert.IsType<SaslException>(e.InnerException);
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Final_refusal_535_is_permanent_with_enhanced_code_though_not_announced()
    {
        await using var s = ScriptedSmtpServer.Play([.. Greeting, "C: AUTH PLAIN AHVzZXIAYmFk", "S: 535 5.7.8 authentication failed"]);
        var (_, e) = await ConnectAsync(s, (_, _) => new ScriptedMechanism("PLAIN", true, new SaslStep(B("\0user\0bad"), true)));
        Assert.Equal((SmtpErrorReason.Authentication, true, 535, "5.7.8", SmtpCommand.Auth), (e!.Reason, e.Permanent, e.Response.Code, e.Response.EnhancedStatusCode, e.Command));
    }

    [Fact]
    public async Task Credentials_never_reach_the_trace()
    {
        var logger = new CapturingLogger();
        await using var s = ScriptedSmtpServer.Play([.. Greeting, "C: AUTH TEST c2VjcmV0MQ==", "S: 334 " + Convert.ToBase64String(B("c")), "C: c2VjcmV0Mg==", "S: 235 ok", "C: QUIT", "S: 221 ok"]);
        var (c, e) = await ConnectAsync(s, (_, _) => new ScriptedMechanism("TEST", true, new SaslStep(B("secret1"), false), new SaslStep(B("secret2"), true)), logger);
        Assert.Null(e);
        await c!.CloseAsync();
        await s.CompletionAsync();
        Assert.Contains(logger.Lines, l => l == "LC: AUTH TEST ***");
        Assert.Contains(logger.Lines, l => l == "LC: ***");
        Assert.DoesNotContain(logger.Lines, l => l.Contains("c2VjcmV0", StringComparison.Ordinal) || l.Contains("secret", StringComparison.Ordinal));
    }
}

/// <summary>XOAUTH2's error challenge (Google): the client answers it with an empty line and gets the 535.</summary>
public class ClientXOAuth2Tests
{
    [Fact]
    public async Task Error_challenge_after_the_token_is_answered_and_the_final_refusal_reported()
    {
        var json = Convert.ToBase64String("{\"status\":\"401\",\"schemes\":\"bearer\"}"u8.ToArray());
        var initial = Convert.ToBase64String("user=u@example.org\u0001auth=Bearer tok\u0001\u0001"u8.ToArray());
        await using var s = ScriptedSmtpServer.Play("S: 220 mx.example", "C: EHLO localhost", "S: 250-mx.example", "S: 250 AUTH XOAUTH2",
            $"C: AUTH XOAUTH2 {initial}", $"S: 334 {json}", "C: ", "S: 535 5.7.8 Username and Password not accepted");
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), (new SmtpSessionOptions { Auth = (_, _) => new SmtpDeliver.Sasl.SaslXOAuth2("u@example.org", "tok"), AuthSecurity = AuthSecurity.AllowCleartext, Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(5)) }) with { TlsMode = TlsMode.None, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = default }));
        await s.CompletionAsync();
        Assert.Equal((535, "5.7.8", true), (e.Response.Code, e.Response.EnhancedStatusCode, e.Permanent));
    }
}
