using System.Text;
using CsCheck;
using SmtpDeliver.Sasl;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Sasl;

/// <summary>SASL mechanisms (checklist 57–65, RFC 4616, RFC 2195, RFC 5802, RFC 7677, RFC 7628).</summary>
public class SaslMechanismTests
{
    private static string S(byte[]? b) => Encoding.UTF8.GetString(b ?? []);
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    private static Task<SaslStep> Step(ISaslClient m, byte[]? fromServer) => m.NextStepAsync(fromServer, default).AsTask();

    [Fact]
    public async Task Plain_sends_authzid_user_password_as_one_last_message()
    {
        var step = await Step(new SaslPlain("user", "pass"), null);
        Assert.Equal(("\0user\0pass", true), (S(step.ToServer), step.Last));
        Assert.True(new SaslPlain("u", "p").SendsCleartextCredentials);
    }

    [Fact]
    public async Task Login_sends_username_first_then_password()
    {
        var m = new SaslLogin("user", "pass");
        var a = await Step(m, null);
        var b = await Step(m, B("Password:"));
        Assert.Equal(("user", false, "pass", true), (S(a.ToServer), a.Last, S(b.ToServer), b.Last));
        await Assert.ThrowsAsync<SaslException>(() => Step(m, null));
    }

    [Fact]
    public async Task Cram_md5_answers_with_hex_hmac_of_the_challenge()
    {
        // RFC 2195 2 example.
        var m = new SaslCramMd5("tim", "tanstaaftanstaaf");
        Assert.Null((await Step(m, null)).ToServer);
        var step = await Step(m, B("<1896.697170952@postoffice.reston.mci.net>"));
        Assert.Equal(("tim b913a602c7eda7a495b4e6e7334d3890", true), (S(step.ToServer), step.Last));
    }

    [Theory]
    [InlineData("1896.697170952@postoffice")]
    [InlineData("<1896697170952@postoffice>")]
    [InlineData("<.697170952@postoffice>")]
    [InlineData("<1896.697170952@>")]
    [InlineData("<1896.@postoffice>")]
    public async Task Cram_md5_rejects_malformed_challenges(string challenge)
    {
        var m = new SaslCramMd5("tim", "pw");
        await Step(m, null);
        Assert.Equal(SaslErrorReason.MalformedChallenge, (await Assert.ThrowsAsync<SaslException>(() => Step(m, B(challenge)))).Reason);
    }

    [Fact]
    public async Task External_with_empty_identity_gives_an_empty_initial_response()
    {
        var step = await Step(new SaslExternal(), null);
        Assert.Equal((0, true), (step.ToServer!.Length, step.Last));
    }

    [Fact]
    public async Task Scram_sha1_rfc5802_test_vector()
    {
        var m = new SaslScram(ScramHash.Sha1, "user", "pencil", null, false, "fyko+d2lbbFgONRv9qkxdawL");
        Assert.Equal("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", S((await Step(m, null)).ToServer));
        var final = await Step(m, B("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
        Assert.Equal("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", S(final.ToServer));
        Assert.False(final.Last);
        var last = await Step(m, B("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
        Assert.Equal((null, true), (last.ToServer, last.Last));
    }

    [Fact]
    public async Task Scram_sha256_rfc7677_test_vector()
    {
        var m = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, "rOprNGfwEbeRWgbNEkqO");
        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", S((await Step(m, null)).ToServer));
        var final = S((await Step(m, B("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))).ToServer);
        Assert.Equal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", final);
        Assert.True((await Step(m, B("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))).Last);
    }

    [Fact]
    public async Task Scram_rejects_a_wrong_server_signature()
    {
        var m = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, "rOprNGfwEbeRWgbNEkqO");
        await Step(m, null);
        await Step(m, B("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        Assert.Equal(SaslErrorReason.ServerProofMismatch, (await Assert.ThrowsAsync<SaslException>(() => Step(m, B("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")))).Reason);
    }

    [Theory]
    [InlineData("r=abcdefgh12345678,s=c2FsdHNhbHQ=,i=2047", SaslErrorReason.Unsafe)]
    [InlineData("r=abcdefgh12345678,s=c2FsdA==,i=4096", SaslErrorReason.Unsafe)]
    [InlineData("r=abcdefgh1234567,s=c2FsdHNhbHQ=,i=4096", SaslErrorReason.Unsafe)]
    [InlineData("r=other12345678901,s=c2FsdHNhbHQ=,i=4096", SaslErrorReason.MalformedChallenge)]
    [InlineData("m=ext,r=abcdefgh12345678,s=c2FsdHNhbHQ=,i=4096", SaslErrorReason.MalformedChallenge)]
    [InlineData("r=abcdefgh12345678,s=!!,i=4096", SaslErrorReason.MalformedChallenge)]
    [InlineData("r=abcdefgh12345678,i=4096", SaslErrorReason.MalformedChallenge)]
    public async Task Scram_checks_nonce_salt_and_iterations(string serverFirst, SaslErrorReason reason)
    {
        var m = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, "abcdefgh");
        await Step(m, null);
        Assert.Equal(reason, (await Assert.ThrowsAsync<SaslException>(() => Step(m, B(serverFirst)))).Reason);
    }

    [Fact]
    public async Task Scram_server_error_is_reported()
    {
        var m = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, "rOprNGfwEbeRWgbNEkqO");
        await Step(m, null);
        await Step(m, B("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        Assert.Equal(SaslErrorReason.ServerError, (await Assert.ThrowsAsync<SaslException>(() => Step(m, B("e=invalid-proof")))).Reason);
    }

    [Theory]
    [InlineData(ScramHash.Sha1, null, false, "n,,")]
    [InlineData(ScramHash.Sha256, null, true, "y,,")]
    [InlineData(ScramHash.Sha256, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, false, "p=tls-unique,,")]
    public async Task Scram_full_exchange_against_a_server_with_each_gs2_flag(ScramHash hash, byte[]? binding, bool couldBind, string gs2)
    {
        var server = new ScramTestServer(hash, "pässwörd", 4096, binding);
        var client = new SaslScram(hash, "us,er=x", "pässwörd", binding, couldBind);
        var first = S((await Step(client, null)).ToServer);
        Assert.StartsWith(gs2 + "n=us=2Cer=3Dx,r=", first, StringComparison.Ordinal);
        Assert.Equal(binding is null ? (hash == ScramHash.Sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256") : "SCRAM-SHA-256-PLUS", client.Name);
        var final = S((await Step(client, B(server.ServerFirst(first)))).ToServer);
        var verdict = server.ServerFinal(final);
        Assert.StartsWith("v=", verdict, StringComparison.Ordinal);
        Assert.True((await Step(client, B(verdict))).Last);
    }

    [Fact]
    public async Task Scram_wrong_password_is_detected_by_the_server()
    {
        var server = new ScramTestServer(ScramHash.Sha256, "right");
        var client = new SaslScram(ScramHash.Sha256, "user", "wrong");
        var first = S((await Step(client, null)).ToServer);
        var final = S((await Step(client, B(server.ServerFirst(first)))).ToServer);
        Assert.Equal("e=invalid-proof", server.ServerFinal(final));
    }

    [Fact]
    public async Task Scram_channel_binding_mismatch_is_detected_by_the_server()
    {
        var server = new ScramTestServer(ScramHash.Sha256, "pw", 4096, [1, 2, 3]);
        var client = new SaslScram(ScramHash.Sha256, "user", "pw", [9, 9, 9]);
        var first = S((await Step(client, null)).ToServer);
        var final = S((await Step(client, B(server.ServerFirst(first)))).ToServer);
        Assert.Equal("e=channel-bindings-dont-match", server.ServerFinal(final));
    }

    [Fact]
    public async Task Xoauth2_and_oauthbearer_initial_responses()
    {
        Assert.Equal("user=u@example.org\u0001auth=Bearer tok\u0001\u0001", S((await Step(new SaslXOAuth2("u@example.org", "tok"), null)).ToServer));
        Assert.Equal("n,a=u@example.org,\u0001host=mail.example.org\u0001port=587\u0001auth=Bearer tok\u0001\u0001",
            S((await Step(new SaslOAuthBearer("u@example.org", "tok", "mail.example.org", 587), null)).ToServer));
    }

    [Fact]
    public void Opaque_string_maps_spaces_normalises_and_refuses_controls()
    {
        Assert.True(OpaqueString.TryPrepare("a\u00A0b", out var p1));
        Assert.Equal("a b", p1);
        Assert.True(OpaqueString.TryPrepare("e\u0301", out var p2));
        Assert.Equal("\u00E9", p2);
        Assert.False(OpaqueString.TryPrepare("bad\u0007", out _));
        Assert.False(OpaqueString.TryPrepare("", out _));
    }

    [Fact]
    public void Credentials_do_not_show_in_strings()
    {
        var c = SaslCredentials.WithPassword("user", "s3cret-pw");
        Assert.DoesNotContain("s3cret-pw", c.ToString(), StringComparison.Ordinal);
        foreach (var m in new ISaslClient[] { new SaslPlain("user", "s3cret-pw"), new SaslLogin("user", "s3cret-pw"), new SaslCramMd5("user", "s3cret-pw"), new SaslScram(ScramHash.Sha256, "user", "s3cret-pw") })
        {
            Assert.DoesNotContain("s3cret-pw", m.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Scram_server_message_parsers_throw_only_sasl_exceptions() =>
        Gen.String[Gen.Char['\u0020', '\u007e'], 0, 80].Sample(s =>
        {
            try
            {
                ScramServerFirst.Parse(s);
            }
            catch (SaslException)
            {
            }
            try
            {
                ScramServerFinal.Parse(s);
            }
            catch (SaslException)
            {
            }
        }, iter: 5000);

    [Fact]
    public void Name_escaping_round_trips() =>
        Gen.String.Sample(s => SaslScram.EscapeName(s).Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal) == s, iter: 2000);
}
