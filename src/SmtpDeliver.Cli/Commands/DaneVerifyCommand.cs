using System.CommandLine;
using System.Text.Json;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

namespace SmtpDeliver.Cli.Commands;

/// <summary>
/// <c>smtpdeliver dane verify DOMAIN</c> or <c>--host HOST[:PORT]</c>: checks DANE for every MX host of a
/// domain (or one host) as a sending MTA would. Exit 0 every host verified, 1 a host failed, 2 DANE does
/// not apply to some or all hosts (none failed), 75 DNS temporary failure.
/// </summary>
internal static class DaneVerifyCommand
{
    public static Command Create(CommonOptions common)
    {
        var domain = new Argument<string?>("domain") { Description = "The recipient domain whose MX hosts to check.", Arity = ArgumentArity.ZeroOrOne };
        var host = new Option<string?>("--host") { Description = "Check this host (HOST[:PORT]) instead of a domain's MX hosts." };
        var port = new Option<int>("--port") { Description = "Port to connect to (TLSA records are those for port 25).", DefaultValueFactory = _ => 25 };
        var verify = new Command("verify", "Verify DANE (RFC 7672) for a domain's MX hosts or one host: DNSSEC status, TLSA records, and for each address STARTTLS and certificate verification.") { domain, host, port };
        common.AddTo(verify);
        verify.SetAction((result, ct) => RunAsync(result, common, domain, host, port, ct));
        return new Command("dane", "DANE checks.") { verify };
    }

    private static async Task<int> RunAsync(ParseResult result, CommonOptions common, Argument<string?> domainArgument, Option<string?> hostOption, Option<int> portOption, CancellationToken cancellationToken)
    {
        var json = result.GetValue(common.Json);
        if (common.CheckInput(result, "dane verify") is { } inputError)
        {
            return inputError;
        }
        var resolver = common.CreateResolver(result);
        if (!resolver.AuthenticDataTrusted)
        {
            // DNSSEC answers from this resolver count as insecure: DANE will look "not applicable".
            Console.Error.WriteLine($"smtpdeliver dane verify: warning: {resolver.AuthenticDataTrustReason}; use a local validating resolver or --trust-ad");
        }
        var options = common.SmtpSessionOptions(result);
        var ehlo = common.EhloName(result);
        var domainText = result.GetValue(domainArgument);
        var hostText = result.GetValue(hostOption);
        if ((domainText is null) == (hostText is null))
        {
            Console.Error.WriteLine("smtpdeliver dane verify: give either a DOMAIN or --host HOST[:PORT]");
            return ExitCodes.Usage;
        }
        var port = result.GetValue(portOption);
        List<Domain> hosts;
        Destinations? destinations = null;
        string? error = null;
        if (hostText is not null)
        {
            var (h, p) = CommonOptions.HostPort(hostText, port);
            port = p;
            hosts = [Domain.Parse(h)];
        }
        else
        {
            try
            {
                destinations = await Gather.DestinationsAsync(resolver, new IPDomain(Domain.Parse(domainText!)), cancellationToken).ConfigureAwait(false);
                hosts = destinations.Hosts.Where(h => h.Host.IP is null).Select(h => h.Host.Domain).ToList();
                if (!destinations.ExpandedNextHopAuthentic && destinations.HaveMx)
                {
                    // RFC 7672 2.2.1: MX records that are not authentic: DANE does not apply to this domain.
                    return Report(json, domainText!, "not-applicable", [], "mx records are not dnssec-authentic", ExitCodes.DaneNotApplicable);
                }
            }
            catch (GatherException e)
            {
                return Report(json, domainText!, e.Permanent ? "failed" : "temporary-failure", [], e.Message, e.Permanent ? ExitCodes.DaneFailed : ExitCodes.Temporary);
            }
        }

        var reports = new List<DaneHostReport>();
        foreach (var h in hosts)
        {
            // RFC 7672 3.2.2: with a domain, the recipient domain and its expansion are reference identifiers too.
            reports.Add(destinations is null
                ? await DaneHostCheck.VerifyAsync(resolver, h, options with { EhloHostname = ehlo }, port, null, cancellationToken).ConfigureAwait(false)
                : await DaneHostCheck.VerifyAsync(resolver, destinations, h, options with { EhloHostname = ehlo }, port, null, cancellationToken).ConfigureAwait(false));
        }
        var (verdict, code) = Verdict(reports);
        return Report(json, domainText ?? hosts[0].Ascii, verdict, reports, error, code);
    }

    /// <summary>
    /// The domain's verdict (docs/cli.md): 0 only when every host verified, since mail may go to any of
    /// them; a host without DANE next to verified ones makes the domain "partial" (exit 2).
    /// </summary>
    internal static (string Verdict, int Code) Verdict(List<DaneHostReport> reports) => reports switch
    {
        _ when reports.Any(r => r.Outcome == DaneHostOutcome.TemporaryDnsFailure) => ("temporary-failure", ExitCodes.Temporary),
        _ when reports.Any(r => r.Outcome == DaneHostOutcome.Failed) => ("failed", ExitCodes.DaneFailed),
        _ when reports.TrueForAll(r => r.Outcome == DaneHostOutcome.Verified) => ("verified", ExitCodes.Success),
        _ when reports.Any(r => r.Outcome == DaneHostOutcome.Verified) => ("partial", ExitCodes.DaneNotApplicable),
        _ => ("not-applicable", ExitCodes.DaneNotApplicable),
    };

    private static int Report(bool json, string domain, string verdict, List<DaneHostReport> reports, string? error, int code)
    {
        if (json)
        {
            var hosts = reports.Select(r => new DaneHostJson(r.Host.Ascii, r.Authentic, Outcome(r.Outcome),
                r.Records.Select(t => new TlsaJson(null, t.ToString(), t.IsUsableForSmtp)).ToList(),
                r.Addresses.Select(a => new DaneIpJson(a.Address.ToString(), a.Verified ? "verified" : "failed", a.VerifiedRecord?.ToString(), a.Tls?.VersionName, a.Tls?.CipherSuite.ToString(), a.Error.Length > 0 ? a.Error : null)).ToList(),
                r.Error.Length > 0 ? r.Error : null)).ToList();
            Console.WriteLine(JsonSerializer.Serialize(new DaneVerifyJson(domain, verdict, hosts, error), CliJsonContext.Output.DaneVerifyJson));
            return code;
        }
        Console.WriteLine($"{domain}: {verdict}{(error is null ? "" : " (" + error + ")")}");
        foreach (var r in reports)
        {
            Console.WriteLine($"  {r.Host}: {Outcome(r.Outcome)}, dnssec {(r.Authentic ? "authentic" : "insecure")}{(r.BaseDomain.IsEmpty ? "" : ", tlsa base " + r.BaseDomain)}");
            foreach (var t in r.Records)
            {
                Console.WriteLine($"    TLSA {t}{(t.IsUsableForSmtp ? "" : " (unusable for smtp)")}");
            }
            foreach (var a in r.Addresses)
            {
                Console.WriteLine(a.Verified ? $"    {a.Address}: verified by {a.VerifiedRecord} ({a.Tls?.VersionName} {a.Tls?.CipherSuite})" : $"    {a.Address}: failed: {a.Error}");
            }
            if (r.Addresses.Count == 0 && r.Error.Length > 0)
            {
                Console.WriteLine($"    {r.Error}");
            }
        }
        return code;
    }

    private static string Outcome(DaneHostOutcome o) => o switch
    {
        DaneHostOutcome.Verified => "verified",
        DaneHostOutcome.Failed => "failed",
        DaneHostOutcome.NotApplicable => "not-applicable",
        _ => "temporary-failure",
    };
}
