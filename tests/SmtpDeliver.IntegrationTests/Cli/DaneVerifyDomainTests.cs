using System.Text.Json;

namespace SmtpDeliver.IntegrationTests.Cli;

/// <summary><c>smtpdeliver dane verify DOMAIN</c>: the domain's verdict over all its MX hosts (docs/cli.md).</summary>
public class DaneVerifyDomainTests
{
    private static string Resolver => IntegrationEnvironment.Get("dns", "RESOLVER");
    private static string Port => IntegrationEnvironment.Get("postfix", "SMTP_PORT");

    // Issue 11 item 4: failed before the fix: exit 0 ("verified") although the first MX host has no DANE.
    [Fact]
    public async Task Mixed_domain_is_partial_with_exit_2()
    {
        var r = await SmtpDeliverCommand.RunAsync(null, "dane", "verify", "dn-mixed.dnssec.test", "--port", Port, "--resolver", Resolver, "--json", "--timeout", "10");
        Assert.Equal(2, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("partial", doc.RootElement.GetProperty("result").GetString());
        var hosts = doc.RootElement.GetProperty("hosts");
        Assert.Equal(("dn-plain.dnssec.test", "not-applicable"), (hosts[0].GetProperty("host").GetString(), hosts[0].GetProperty("result").GetString()));
        Assert.Equal(("smtp.dnssec.test", "verified"), (hosts[1].GetProperty("host").GetString(), hosts[1].GetProperty("result").GetString()));
    }

    // Issue 11 item 4: failed before the fix (exit 1): the recipient domain is a DANE-TA reference identifier.
    [Fact]
    public async Task Recipient_domain_is_an_allowed_name_for_dane_ta()
    {
        var r = await SmtpDeliverCommand.RunAsync(null, "dane", "verify", "smtpta.dnssec.test", "--port", Port, "--resolver", Resolver, "--json", "--timeout", "10");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("verified", doc.RootElement.GetProperty("result").GetString());
        Assert.Equal("dn-tahost.dnssec.test", doc.RootElement.GetProperty("hosts")[0].GetProperty("host").GetString());
    }
}
