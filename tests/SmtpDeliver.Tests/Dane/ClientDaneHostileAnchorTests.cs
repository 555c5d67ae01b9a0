using SmtpDeliver.Dane;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.Dane;

/// <summary>
/// A DANE-TA record whose anchor BouncyCastle cannot use, through a real STARTTLS handshake of the client:
/// the failure is a recorded TLSRPT validation failure (RFC 8460 4.3), never an exception escaping the
/// certificate validation callback.
/// </summary>
public class ClientDaneHostileAnchorTests
{
    private static readonly DaneTestPki Pki = DaneTestPki.Instance;

    // A full certificate in the record (RFC 7672 3.1.2): the "fake ca" name, a key algorithm no library knows.
    private static readonly TlsaRecord UnknownKeyAnchor = DaneVerifier.ComputeRecord(
        CertificateRewriter.WithKeyAlgorithm(Pki.Ca, "1.3.6.1.4.1.55555.2.1"), TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full);

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

    private static (TlsRptResult Host, SmtpSessionOptions Options) Setup(IReadOnlyList<TlsaRecord> records, bool ignore = false)
    {
        var host = new TlsRptResult(new TlsRptResultPolicy { Type = PolicyType.Tlsa, Domain = "localhost", Strings = records.Select(r => r.ToString()).ToList() });
        return (host, new SmtpSessionOptions
        {
            DaneRecords = records,
            IgnoreTlsVerifyErrors = ignore,
            RecipientDomainResult = new TlsRptResult(PolicyType.NoPolicyFound, "localhost"),
            HostResult = host,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        });
    }

    private static async Task<SmtpDeliver.SmtpClientSession> ConnectAsync(ScriptedSmtpServer s, SmtpSessionOptions options) =>
        await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), options with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("localhost") });

    // Issue 11 item 12: failed before the fix (the BouncyCastle exception escaped the callback and was
    // counted as a handshake failure, not a DANE validation failure).
    [Fact]
    public async Task Unusable_dane_ta_anchor_is_a_recorded_validation_failure()
    {
        var (host, options) = Setup([UnknownKeyAnchor]);
        await using var s = Server(expectSession: false);
        var e = await Assert.ThrowsAsync<SmtpException>(() => ConnectAsync(s, options));
        await s.CompletionAsync();
        Assert.Equal((SmtpErrorReason.Tls, SmtpCommand.StartTls), (e.Reason, e.Command));
        Assert.StartsWith("tls certificate verification failed", e.Message, StringComparison.Ordinal);
        Assert.Equal((0L, 1L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        var d = Assert.Single(host.FailureDetails);
        Assert.Equal(("validation-failure", "dane-no-match+errors", "localhost"), (d.ResultType, d.FailureReasonCode, d.ReceivingMxHostname));
    }

    // Issue 11 item 12: failed before the fix.
    [Fact]
    public async Task Next_record_verifies_after_an_unusable_dane_ta_anchor()
    {
        var ee = DaneVerifier.ComputeRecord(Pki.Leaf);
        var (host, options) = Setup([UnknownKeyAnchor, ee]);
        await using var s = Server(expectSession: true);
        await using (var c = await ConnectAsync(s, options))
        {
            Assert.Equal(ee, c.VerifiedDaneRecord);
        }
        await s.CompletionAsync();
        Assert.Equal((1L, 0L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
        Assert.Empty(host.FailureDetails);
    }

    // Issue 11 item 12: failed before the fix.
    [Fact]
    public async Task Ignore_verify_errors_continues_after_an_unusable_dane_ta_anchor_but_records_it()
    {
        var (host, options) = Setup([UnknownKeyAnchor], ignore: true);
        await using var s = Server(expectSession: true);
        await using (var c = await ConnectAsync(s, options))
        {
            Assert.Null(c.VerifiedDaneRecord);
        }
        await s.CompletionAsync();
        Assert.Equal("dane-no-match+errors", Assert.Single(host.FailureDetails).FailureReasonCode);
    }
}
