using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.IntegrationTests.Tls;

/// <summary>DANE against the real Postfix, with TLSA records for its own certificate (issue: DANE and TLSRPT).</summary>
public class PostfixDaneTests
{
    private static X509Certificate2 ServerCert => X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "SERVER_CERT"));
    private static X509Certificate2 CaCert => X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"));

    private static async Task<(SmtpClientSession? SmtpClientSession, SmtpException? Error, TlsRptResult Host, TlsRptResult Domain)> ConnectAsync(IReadOnlyList<TlsaRecord> records, bool ignore = false)
    {
        var host = new TlsRptResult(new TlsRptResultPolicy { Type = PolicyType.Tlsa, Domain = "mx.example.test", Strings = records.Select(r => r.ToString()).ToList() });
        var domain = new TlsRptResult(PolicyType.NoPolicyFound, "example.test");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IntegrationEnvironment.Get("postfix", "HOST"), IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"));
        try
        {
            var c = await SmtpClientSession.ConnectAsync(socket, (new SmtpSessionOptions { DaneRecords = records, IgnoreTlsVerifyErrors = ignore, HostResult = host, RecipientDomainResult = domain }) with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("client.example.test"), RemoteHostname = Domain.Parse("mx.example.test") });
            return (c, null, host, domain);
        }
        catch (SmtpException e)
        {
            return (null, e, host, domain);
        }
    }

    [Fact]
    public async Task Dane_ee_for_the_server_key_verifies()
    {
        var record = DaneVerifier.ComputeRecord(ServerCert);
        var (c, e, host, domain) = await ConnectAsync([record]);
        Assert.Null(e);
        await using (c)
        {
            Assert.Equal(record, c!.VerifiedDaneRecord);
        }
        Assert.Equal((1L, 0L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        Assert.Empty(host.FailureDetails);
        // The test CA is not in the system store: PKIX fails and is recorded for the recipient domain only.
        Assert.Equal("certificate-not-trusted", Assert.Single(domain.FailureDetails).ResultType);
    }

    [Fact]
    public async Task Dane_ta_for_the_ca_in_the_chain_verifies()
    {
        var record = DaneVerifier.ComputeRecord(CaCert, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256);
        var (c, e, host, _) = await ConnectAsync([new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32]), record]);
        Assert.Null(e);
        await using (c)
        {
            Assert.Equal(record, c!.VerifiedDaneRecord);
        }
        Assert.Equal((1L, 0L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
    }

    [Fact]
    public async Task Mismatching_record_fails_and_is_reported()
    {
        var (_, e, host, _) = await ConnectAsync([new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32])]);
        Assert.Equal((SmtpErrorReason.Tls, SmtpCommand.StartTls, false), (e!.Reason, e.Command, e.Permanent));
        Assert.Equal((0L, 1L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        var d = Assert.Single(host.FailureDetails);
        Assert.Equal(("validation-failure", "dane-no-match", "mx.example.test", "127.0.0.1", "127.0.0.1", 1L),
            (d.ResultType, d.FailureReasonCode, d.ReceivingMxHostname, d.ReceivingIp, d.SendingMtaIp, d.FailedSessionCount));
        Assert.StartsWith("mx.example.test", d.ReceivingMxHelo, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ignore_verify_errors_continues_with_a_mismatch_recorded()
    {
        var (c, e, host, _) = await ConnectAsync([new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32])], ignore: true);
        Assert.Null(e);
        await using (c)
        {
            Assert.Null(c!.VerifiedDaneRecord);
            Assert.NotNull(c.Tls);
        }
        Assert.Equal((1L, 0L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        Assert.Equal("dane-no-match", Assert.Single(host.FailureDetails).FailureReasonCode);
    }
}
