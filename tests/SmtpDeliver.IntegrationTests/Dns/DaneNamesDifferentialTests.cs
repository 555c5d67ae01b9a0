using SmtpDeliver.IntegrationTests.Cli;

namespace SmtpDeliver.IntegrationTests.Dns;

/// <summary>
/// DANE names and applicability (RFC 7672 2.2.2, 3.2.2) against Postfix's own prober: for every test
/// domain of tests/integration-env/dns/up.sh (the "dn-" records), <c>posttls-finger</c> and
/// <c>smtpdeliver dane verify DOMAIN</c> see the same DNS (the validating unbound) and the same server
/// (Postfix, certificate for mx.example.test, localhost and smtpta.dnssec.test) and must reach the same
/// verdict. The expected verdict is pinned too, so a change on both sides is noticed.
/// </summary>
public class DaneNamesDifferentialTests
{
    private static string Resolver => IntegrationEnvironment.Get("dns", "RESOLVER");
    private static string Port => IntegrationEnvironment.Get("postfix", "SMTP_PORT");

    private static int ExitCode(string verdict) => verdict switch
    {
        "verified" => 0,
        "failed" => 1,
        _ => 2,
    };

    // Issue 11 item 4: failed before the fix for smtpta.dnssec.test and dn-nexthop-alias (the next hop
    // was never an allowed name), dn-leave-ok, dn-leave-bad and dn-leave-ta (a CNAME leaving the signed
    // zone made DANE "not applicable"), and dn-mixed (exit 0 with an MX host without DANE).
    [Theory]
    [InlineData("dn-ee.dnssec.test", "verified")]
    [InlineData("smtpta.dnssec.test", "verified")]
    [InlineData("dn-nexthop-alias.dnssec.test", "verified")]
    [InlineData("dn-ta-wrongname.dnssec.test", "failed")]
    [InlineData("dn-secure-cname.dnssec.test", "verified")]
    [InlineData("dn-orig-tlsa.dnssec.test", "verified")]
    [InlineData("dn-expanded-first.dnssec.test", "failed")]
    [InlineData("dn-leave-ok.dnssec.test", "verified")]
    [InlineData("dn-leave-bad.dnssec.test", "failed")]
    [InlineData("dn-leave-none.dnssec.test", "not-applicable")]
    [InlineData("dn-leave-ta.dnssec.test", "failed")]
    [InlineData("dn-mx-insecure.dnssec.test", "not-applicable")]
    [InlineData("dn-mismatch.dnssec.test", "failed")]
    [InlineData("dn-unusable.dnssec.test", "not-applicable")]
    [InlineData("dn-mixed.dnssec.test", "not-applicable")]
    [InlineData("dn-insecure-mx.insecure.test", "not-applicable")]
    public async Task Same_verdict_as_posttls_finger(string domain, string expected)
    {
        var output = await PosttlsFinger.ProbeAsync($"{domain}:{Port}");
        var postfix = PosttlsFinger.Verdict(output);
        var ours = await SmtpDeliverCommand.RunAsync(null, "dane", "verify", domain, "--port", Port, "--resolver", Resolver, "--timeout", "10");
        Assert.True(expected == postfix, $"posttls-finger: {postfix}, pinned: {expected}\n{output}");
        Assert.True(ExitCode(expected) == ours.ExitCode, $"smtpdeliver dane verify exit {ours.ExitCode}, posttls-finger: {postfix}\n{ours.Stdout}{ours.Stderr}\n--- posttls-finger:\n{output}");
    }
}
