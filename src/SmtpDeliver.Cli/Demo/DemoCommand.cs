using System.CommandLine;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MimeKit;
using SmtpDeliver.Dns;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Cli.Demo;

/// <summary>
/// <c>smtpdeliver demo</c>: delivers a generated message to an SMTP server started in this process on
/// loopback, with STARTTLS and a throwaway certificate authority, and shows what happened. Needs no
/// network and no configuration.
/// </summary>
internal static class DemoCommand
{
    private const string MxHost = "mx.demo.example";
    private static readonly string[] Recipients = ["alice@demo.example", "reject@demo.example"];

    public static Command Create()
    {
        var command = new Command("demo", "Deliver a generated message to an in-process SMTP server on loopback (STARTTLS, verified certificate) and show the session, the per-recipient results and the TLSRPT results. No network needed.");
        command.SetAction((_, cancellationToken) => RunAsync(Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        using var certificates = DemoCertificates.Create(MxHost);
        await using var server = new LoopbackSmtpServer(MxHost, certificates.Server);
        var trace = new TraceCollector();
        var domainResult = new Result(PolicyType.NoPolicyFound, "demo.example");
        var hostResult = new Result(PolicyType.NoPolicyFound, MxHost);

        var message = CreateMessage();
        using var data = new MemoryStream();
        await message.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, data, cancellationToken).ConfigureAwait(false);
        data.Position = 0;

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint, cancellationToken).ConfigureAwait(false);
        var options = new ClientOptions
        {
            RootCertificates = [X509CertificateLoader.LoadCertificate(certificates.Authority.RawData)],
            RecipientDomainResult = domainResult,
            HostResult = hostResult,
            Logger = trace,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
        };
        IReadOnlyList<SmtpResponse> responses;
        string tls;
        await using (var client = await Client.NewAsync(socket, TlsMode.RequiredStartTls, verifyPkix: true, Domain.Parse("client.demo.example"), Domain.Parse(MxHost), options, cancellationToken).ConfigureAwait(false))
        {
            tls = client.Tls is { } info ? $"{info.VersionName} {info.CipherSuite}, certificate verified (PKIX) for {MxHost}" : "none";
            responses = await client.DeliverMultipleAsync("demo@client.demo.example", Recipients, data.Length, data, DeliveryRequirements.None, cancellationToken).ConfigureAwait(false);
            await client.CloseAsync(cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"SMTP session with {MxHost} ({server.EndPoint}):").ConfigureAwait(false);
        foreach (var line in trace.Lines)
        {
            await output.WriteLineAsync("  " + line).ConfigureAwait(false);
        }
        await output.WriteLineAsync($"TLS: {tls}").ConfigureAwait(false);
        await output.WriteLineAsync("Recipients:").ConfigureAwait(false);
        foreach (var (rcpt, response) in Recipients.Zip(responses))
        {
            var status = response.IsSuccess ? "delivered" : response.Permanent ? "permanent" : "transient";
            await output.WriteLineAsync($"  {rcpt}: {status} ({response.Line})").ConfigureAwait(false);
        }
        await output.WriteLineAsync("TLSRPT results:").ConfigureAwait(false);
        await output.WriteLineAsync(JsonSerializer.Serialize([domainResult, hostResult], TlsRptJsonContext.Indented.ListResult)).ConfigureAwait(false);

        var received = server.Received;
        var ok = received.Count == 1 && received[0].Tls && received[0].Data.AsSpan().SequenceEqual(data.ToArray());
        await output.WriteLineAsync(ok ? "Server received the message intact over TLS." : "Server did not receive the message intact.").ConfigureAwait(false);
        return ok ? 0 : 1;
    }

    private static MimeMessage CreateMessage()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("SmtpDeliver demo", "demo@client.demo.example"));
        message.To.Add(new MailboxAddress("Alice", "alice@demo.example"));
        message.To.Add(new MailboxAddress("Nobody", "reject@demo.example"));
        message.Subject = "SmtpDeliver demo";
        message.Body = new TextPart("plain") { Text = "Hello from SmtpDeliver.\n.A line starting with a dot, stuffed on the wire.\n" };
        return message;
    }
}
