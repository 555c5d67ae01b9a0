using System.Diagnostics;
using System.Net.Sockets;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.IntegrationTests.Tls;

/// <summary>
/// A TLS 1.3 server that rejects the (missing) client certificate after the handshake, the way OpenSSL
/// does: the alert arrives on the client's first read, and the session counted as a success becomes a
/// failure with a "tls-remote-alert-116-certificate-required" detail (checklist 53).
/// </summary>
public class TlsAlertAfterHandshakeTests
{
    [Fact]
    public async Task Alert_on_the_first_read_after_the_handshake_turns_the_success_into_a_failure()
    {
        const int port = 20999;
        using var server = Process.Start(new ProcessStartInfo("openssl",
            ["s_server", "-accept", $"127.0.0.1:{port}", "-cert", IntegrationEnvironment.Get("postfix", "SERVER_CERT"),
             "-key", IntegrationEnvironment.Get("postfix", "SERVER_KEY"), "-Verify", "1", "-tls1_3", "-quiet", "-naccept", "1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        })!;
        try
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            for (var i = 0; ; i++)
            {
                try
                {
                    await socket.ConnectAsync("127.0.0.1", port);
                    break;
                }
                catch (SocketException) when (i < 50)
                {
                    await Task.Delay(100);
                }
            }
            var host = new TlsRptResult(PolicyType.NoPolicyFound, "mx.example.test");
            var domain = new TlsRptResult(PolicyType.NoPolicyFound, "example.test");
            var e = await Assert.ThrowsAsync<SmtpException>(() => SmtpClientSession.ConnectAsync(socket, (new SmtpSessionOptions { HostResult = host, RecipientDomainResult = domain, Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) }) with { TlsMode = TlsMode.Implicit, EnforcePkix = false, EhloHostname = Domain.Parse("client.example.test"), RemoteHostname = Domain.Parse("mx.example.test") }));
            Assert.Equal((SmtpErrorReason.Tls, SmtpCommand.Greeting), (e.Reason, e.Command));
            Assert.Equal((0L, 1L), (host.Summary.TotalSuccessfulSessionCount, host.Summary.TotalFailureSessionCount));
            var d = Assert.Single(host.FailureDetails);
            Assert.Equal(("validation-failure", "tls-remote-alert-116-certificate-required"), (d.ResultType, d.FailureReasonCode));
            Assert.Equal((0L, 1L), (domain.Summary.TotalSuccessfulSessionCount, domain.Summary.TotalFailureSessionCount));
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
        }
    }
}
