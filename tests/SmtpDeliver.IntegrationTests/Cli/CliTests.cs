using System.Text.Json;

namespace SmtpDeliver.IntegrationTests.Cli;

/// <summary>The smtpdeliver command against the real Postfix and resolver: every subcommand and exit code.</summary>
public class CliTests
{
    private static string Resolver => IntegrationEnvironment.Get("dns", "RESOLVER");
    private static string Ca => IntegrationEnvironment.Get("postfix", "CA_CERT");
    private static string Smtp => "127.0.0.1:" + IntegrationEnvironment.Get("postfix", "SMTP_PORT");

    private static Task<SmtpDeliverCommand.Run> Run(params string[] args) => SmtpDeliverCommand.RunAsync(null, args);

    [Fact]
    public async Task Demo_delivers_through_dane_without_network()
    {
        var r = await Run("demo");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("DANE: verified with TLSA record 3 1 1 ", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("alice@demo.example: delivered", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("reject@demo.example: permanent", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("smtp.dnssec.test", 0, "verified")]
    [InlineData("smtpta.dnssec.test", 0, "verified")]
    [InlineData("smtpbad.dnssec.test", 1, "failed")]
    [InlineData("mx.insecure.test", 2, "not-applicable")]
    [InlineData("mxunusable.dnssec.test", 2, "not-applicable")]
    [InlineData("mxbogus.dnssec.test", 75, "temporary-failure")]
    public async Task Dane_verify_host_exit_codes_and_json(string host, int exit, string verdict)
    {
        var port = IntegrationEnvironment.Get("postfix", "SMTP_PORT");
        var r = await Run("dane", "verify", "--host", $"{host}:{port}", "--resolver", Resolver, "--json", "--timeout", "10");
        Assert.Equal(exit, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(verdict, doc.RootElement.GetProperty("result").GetString());
        var h = doc.RootElement.GetProperty("hosts")[0];
        Assert.Equal(host, h.GetProperty("host").GetString());
        if (exit == 0)
        {
            var ip = h.GetProperty("ips")[0];
            Assert.Equal("verified", ip.GetProperty("result").GetString());
            Assert.StartsWith("tls1.", ip.GetProperty("tls_version").GetString(), StringComparison.Ordinal);
            Assert.NotNull(ip.GetProperty("verified_record").GetString());
        }
    }

    [Fact]
    public async Task Dane_verify_domain_not_applicable_for_insecure_mx() =>
        Assert.Equal(2, (await Run("dane", "verify", "insecure.test", "--resolver", Resolver)).ExitCode);

    [Fact]
    public async Task Usage_errors_exit_64()
    {
        Assert.Equal(64, (await Run("dane", "verify")).ExitCode);
        Assert.Equal(64, (await Run("no-such-command")).ExitCode);
        Assert.Equal(64, (await Run("send", "--from", "a@example.test", "--to", "b@example.test", "--to", "c@other.example")).ExitCode);
    }

    [Fact]
    public async Task Tlsa_prints_the_record_of_a_certificate()
    {
        var r = await Run("tlsa", "--cert", IntegrationEnvironment.Get("postfix", "SERVER_CERT"), "--host", "smtp.dnssec.test");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches("^_25\\._tcp\\.smtp\\.dnssec\\.test\\. IN TLSA 3 1 1 [0-9a-f]{64}\\s*$", r.Stdout);
        Assert.Equal(65, (await Run("tlsa", "--cert", "/nonexistent.pem")).ExitCode);
    }

    [Fact]
    public async Task Probe_shows_extensions_tls_and_certificates()
    {
        var r = await Run("probe", Smtp, "--remote-name", "mx.example.test", "--ca-file", Ca, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("start_tls").GetBoolean());
        Assert.True(root.GetProperty("pkix_verified").GetBoolean());
        Assert.Equal(2, root.GetProperty("certificates").GetArrayLength());
        Assert.True(root.GetProperty("extensions").TryGetProperty("PIPELINING", out _));
        Assert.Equal(1, root.GetProperty("tlsrpt")[0].GetProperty("summary").GetProperty("total-successful-session-count").GetInt32());
    }

    [Fact]
    public async Task Probe_of_a_closed_port_is_a_temporary_failure() =>
        Assert.Equal(75, (await Run("probe", "127.0.0.1:20098", "--timeout", "5")).ExitCode);

    [Fact]
    public async Task Send_exit_codes_follow_the_recipients()
    {
        string[] common = ["send", "--server", Smtp, "--remote-name", "mx.example.test", "--ca-file", Ca, "--verify-pkix", "--from", "sender@client.example.test"];
        Assert.Equal(0, (await Run([.. common, "--to", "user@example.test"])).ExitCode);
        Assert.Equal(69, (await Run([.. common, "--to", "reject@example.test"])).ExitCode);
        Assert.Equal(75, (await Run([.. common, "--to", "tempfail@example.test", "--to", "reject@example.test"])).ExitCode);
        var json = await Run([.. common, "--to", "user@example.test", "--to", "reject@example.test", "--json"]);
        using var doc = JsonDocument.Parse(json.Stdout);
        var rcpts = doc.RootElement.GetProperty("recipients");
        Assert.Equal("delivered", rcpts[0].GetProperty("status").GetString());
        Assert.Equal(("permanent", 550, "5.1.1"), (rcpts[1].GetProperty("status").GetString(), rcpts[1].GetProperty("code").GetInt32(), rcpts[1].GetProperty("enhanced_code").GetString()));
        Assert.Equal("verified", doc.RootElement.GetProperty("tls").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Send_with_authentication_and_a_message_from_stdin()
    {
        var pw = Path.GetTempFileName();
        await File.WriteAllTextAsync(pw, IntegrationEnvironment.Get("postfix", "SASL_PASSWORD"));
        var r = await SmtpDeliverCommand.RunAsync("Subject: from stdin\nDate: Mon, 23 Nov 2026 12:00:00 +0000\n\n.dot line\nbody\n",
            "send", "--server", "127.0.0.1:" + IntegrationEnvironment.Get("postfix", "SUBMISSION_PORT"), "--tls", "required", "--remote-name", "mx.example.test", "--ca-file", Ca,
            "--user", IntegrationEnvironment.Get("postfix", "SASL_USER"), "--password-file", pw, "--from", IntegrationEnvironment.Get("postfix", "SASL_USER"), "--to", "rcpt3@example.test", "--data", "-", "--trace");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("LC: AUTH SCRAM-SHA-256 ***", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(IntegrationEnvironment.Get("postfix", "SASL_PASSWORD"), r.Stderr + r.Stdout, StringComparison.Ordinal);
        File.Delete(pw);
    }

    [Fact]
    public async Task Send_to_a_domain_without_server_follows_the_mx_policy()
    {
        // Null MX (RFC 7505): permanent, exit 69. An MX host nobody listens on: transient, exit 75.
        Assert.Equal(69, (await Run("send", "--from", "a@client.example.test", "--to", "user@nullmx.dnssec.test", "--resolver", Resolver)).ExitCode);
        var r = await Run("send", "--from", "a@client.example.test", "--to", "user@dnssec.test", "--resolver", Resolver, "--timeout", "5", "--json");
        Assert.Equal(75, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("mx.dnssec.test", doc.RootElement.GetProperty("host").GetString());
        Assert.Equal("transient", doc.RootElement.GetProperty("recipients")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Send_of_an_unreadable_message_exits_65() =>
        Assert.Equal(65, (await Run("send", "--server", Smtp, "--from", "a@client.example.test", "--to", "user@example.test", "--data", "/nonexistent/message.eml")).ExitCode);
}
