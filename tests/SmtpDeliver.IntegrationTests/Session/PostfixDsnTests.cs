using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Names;

namespace SmtpDeliver.IntegrationTests.Session;

/// <summary>Issue 12: DSN parameters (RFC 3461) against the real Postfix of the integration environment, which announces DSN.</summary>
public class PostfixDsnTests
{
    private static string Host => IntegrationEnvironment.Get("postfix", "HOST");
    private static string ServerName => IntegrationEnvironment.Get("postfix", "SERVER_NAME");
    private static X509Certificate2Collection Roots => [X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"))];

    private static async Task<SmtpClientSession> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Host, IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"));
        return await SmtpClientSession.ConnectAsync(socket, new SmtpSessionOptions
        {
            RootCertificates = Roots,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
            TlsMode = TlsMode.Opportunistic,
            EnforcePkix = true,
            EhloHostname = Domain.Parse("client.example.test"),
            RemoteHostname = Domain.Parse(ServerName),
        });
    }

    [Fact]
    public async Task Postfix_accepts_ret_envid_notify_and_orcpt()
    {
        var marker = Guid.NewGuid().ToString("N");
        var message = Encoding.ASCII.GetBytes(
            $"From: <sender@client.example.test>\r\nTo: <user@example.test>\r\nSubject: dsn {marker}\r\nMessage-ID: <{marker}@client.example.test>\r\n\r\ndsn test\r\n");
        await using var c = await ConnectAsync();
        Assert.True(c.Extensions.Dsn);
        var responses = await c.DeliverMultipleAsync(
            // The null reverse-path: Postfix never sends notifications to it, so the requested success
            // notification leaves nothing behind in the shared queue (RFC 5321 4.5.5).
            EnvelopeAddress.NullReversePath,
            [EnvelopeAddress.Parse("user@example.test"), EnvelopeAddress.Parse("rcpt1@example.test")],
            message.Length, new MemoryStream(message), DeliveryRequirements.None,
            new DsnRequest
            {
                Return = DsnReturn.Headers,
                EnvelopeId = "itest " + marker + " a+b=c",
                RequireSupport = true,
                Recipients =
                [
                    new DsnRecipient { Notify = DsnNotify.Success | DsnNotify.Failure, OriginalRecipient = EnvelopeAddress.Parse("orig+1@example.test") },
                    new DsnRecipient { Notify = DsnNotify.Never },
                ],
            });
        Assert.All(responses, r => Assert.Equal(250, r.Code));
        await c.CloseAsync();
    }
}
