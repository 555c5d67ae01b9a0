using SmtpDeliver.Dane;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.Session;

/// <summary>DANE in the client's TLS handshake (checklist 48–52; RFC 7672, RFC 8460).</summary>
public class ClientDaneTests
{
    private static readonly DaneTestPki Pki = DaneTestPki.Instance;

    private static ScriptedSmtpServer Server(bool expectSession) => ScriptedSmtpServer.Start(async ss =>
    {
        await ss.GreetUntilStartTlsAsync();
        await ss.WriteLineAsync("220 go");
        try
        {
            await ss.StartTlsAsync(Pki.Leaf, chain: [Pki.Ca]);
        }
        catch (Exception) when (!expectSession)
        {
            return;
        }
        var line = await ss.ReadLineAsync().ContinueWith(t => t.IsFaulted ? null : t.Result);
        if (!expectSession)
        {
            Assert.Null(line);
            return;
        }
        Assert.Equal("EHLO localhost", line);
        await ss.WriteLineAsync("250 mox.example");
        await ss.ExpectAsync("QUIT");
        await ss.WriteLineAsync("221 ok");
    });

    private static (TlsRptResult Domain, TlsRptResult Host, SmtpSessionOptions Options) Setup(IReadOnlyList<TlsaRecord> records, bool ignore = false)
    {
        var domain = new TlsRptResult(PolicyType.NoPolicyFound, "localhost");
        var host = new TlsRptResult(new TlsRptResultPolicy { Type = PolicyType.Tlsa, Domain = "localhost", Strings = records.Select(r => r.ToString()).ToList() });
        return (domain, host, new SmtpSessionOptions
        {
            DaneRecords = records,
            IgnoreTlsVerifyErrors = ignore,
            RecipientDomainResult = domain,
            HostResult = host,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        });
    }

    private static async Task<SmtpDeliver.SmtpClientSession> ConnectAsync(ScriptedSmtpServer s, SmtpSessionOptions options) =>
        await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), options with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("localhost") });

    [Fact]
    public async Task Matching_dane_ee_record_is_reported_and_counts_success()
    {
        var record = DaneVerifier.ComputeRecord(Pki.Leaf);
        var (domain, host, options) = Setup([record]);
        await using var s = Server(expectSession: true);
        await using (var c = await ConnectAsync(s, options))
        {
            Assert.Equal(record, c.VerifiedDaneRecord);
            Assert.True(c.Dane!.Verified);
            // PKIX is evaluated too: the test CA is not trusted by the system.
            Assert.False(c.Pkix!.Verified);
        }
        await s.CompletionAsync();
        Assert.Equal((1L, 0L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        Assert.Empty(host.FailureDetails);
        Assert.Equal("certificate-not-trusted", Assert.Single(domain.FailureDetails).ResultType);
    }

    [Fact]
    public async Task Dane_ta_for_the_sent_ca_verifies_in_the_handshake()
    {
        var record = DaneVerifier.ComputeRecord(Pki.Ca, TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha256);
        var (_, _, options) = Setup([record]);
        await using var s = Server(expectSession: true);
        await using (var c = await ConnectAsync(s, options))
        {
            Assert.Equal(record, c.VerifiedDaneRecord);
        }
        await s.CompletionAsync();
    }

    [Fact]
    public async Task Mismatch_fails_the_connection_and_records_dane_no_match_for_the_host()
    {
        var (domain, host, options) = Setup([new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32])]);
        await using var s = Server(expectSession: false);
        var e = await Assert.ThrowsAsync<SmtpException>(() => ConnectAsync(s, options));
        await s.CompletionAsync();
        Assert.Equal((SmtpErrorReason.Tls, SmtpCommand.StartTls), (e.Reason, e.Command));
        Assert.Equal((0L, 1L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        var d = Assert.Single(host.FailureDetails);
        Assert.Equal(("validation-failure", "dane-no-match", "localhost", 1L), (d.ResultType, d.FailureReasonCode, d.ReceivingMxHostname, d.FailedSessionCount));
        Assert.Equal(1, domain.Summary.TotalFailureSessionCount);
    }

    [Fact]
    public async Task Empty_record_list_fails_with_errors()
    {
        var (_, host, options) = Setup([]);
        await using var s = Server(expectSession: false);
        await Assert.ThrowsAsync<SmtpException>(() => ConnectAsync(s, options));
        await s.CompletionAsync();
        Assert.Equal("dane-no-match+errors", Assert.Single(host.FailureDetails).FailureReasonCode);
    }

    [Fact]
    public async Task Ignore_verify_errors_continues_after_a_mismatch_but_records_it()
    {
        var (_, host, options) = Setup([new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32])], ignore: true);
        await using var s = Server(expectSession: true);
        await using (var c = await ConnectAsync(s, options))
        {
            Assert.Null(c.VerifiedDaneRecord);
        }
        await s.CompletionAsync();
        Assert.Equal((1L, 0L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        Assert.Equal("dane-no-match", Assert.Single(host.FailureDetails).FailureReasonCode);
    }
}
