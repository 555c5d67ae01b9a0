using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MimeKit;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
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
        var command = new Command("demo", "Deliver a generated message through the real path (MX, address and TLSA gathering from an in-memory DNSSEC-authentic zone, dial, STARTTLS, DANE verification, pipelined delivery) to an SMTP server in this process on loopback, and show the session, the per-recipient results and the TLSRPT results. No network needed.");
        command.SetAction((_, cancellationToken) => RunAsync(Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        using var certificates = DemoCertificates.Create(MxHost);
        // The loopback server: ESMTP with STARTTLS (REQUIRETLS after it); recipients named "reject" are refused.
        await using var server = SmtpSink.Start(new SmtpSinkOptions
        {
            HostName = MxHost,
            Greeting = $"220 {MxHost} ESMTP SmtpDeliver demo",
            Certificate = certificates.Server,
            Extensions = SmtpSinkExtensions.Pipelining | SmtpSinkExtensions.Size | SmtpSinkExtensions.EightBitMime | SmtpSinkExtensions.SmtpUtf8
                | SmtpSinkExtensions.EnhancedStatusCodes | SmtpSinkExtensions.StartTls | SmtpSinkExtensions.RequireTls | SmtpSinkExtensions.Limits,
            Reply = command => ValueTask.FromResult(command.Verb == "RCPT" && command.Path.StartsWith("reject@", StringComparison.OrdinalIgnoreCase) ? "550 5.1.1 no such user" : null),
        });
        var daneRecord = DaneVerifier.ComputeRecord(certificates.Server);

        // An in-memory DNSSEC-authentic zone: MX, address and a DANE-EE record for the server's key.
        var resolver = new InMemoryResolver
        {
            AllAuthentic = true,
            Mx = { ["demo.example."] = [new MxRecord(MxHost + ".", 10)] },
            A = { [MxHost + "."] = ["127.0.0.1"] },
            Tlsa = { ["_25._tcp." + MxHost + "."] = [daneRecord] },
        };
        // The server listens on an ephemeral loopback port instead of 25.
        var dialer = new Dialer { Connect = (remote, local, ct) => Dialer.ConnectDirectAsync(new IPEndPoint(remote.Address, server.EndPoint.Port), local, ct) };

        var destinations = await Gather.DestinationsAsync(resolver, new IPDomain(Domain.Parse("demo.example")), cancellationToken).ConfigureAwait(false);
        var mx = destinations.Hosts[0].Host;
        var ips = await Gather.IPsAsync(resolver, AddressFamilyFilter.Any, mx, null, cancellationToken).ConfigureAwait(false);
        var tlsa = await Gather.TlsaAsync(resolver, mx.Domain, ips.ExpandedAuthentic, ips.ExpandedHost, cancellationToken).ConfigureAwait(false);
        var names = Gather.TlsaNames(destinations, tlsa);
        await output.WriteLineAsync($"DNS: demo.example MX {mx} (authentic: {destinations.ExpandedNextHopAuthentic}), {mx} A {string.Join(", ", ips.Addresses)}, TLSA at _25._tcp.{tlsa.BaseDomain}: {string.Join(", ", tlsa.Records)}").ConfigureAwait(false);

        // The protocol trace: the lines the client logs at Trace level.
        var trace = new CapturingLogger { MinimumLevel = Microsoft.Extensions.Logging.LogLevel.Trace };
        var domainResult = new TlsRptResult(PolicyType.NoPolicyFound, "demo.example");
        var hostResult = new TlsRptResult(new TlsRptResultPolicy { Type = PolicyType.Tlsa, Domain = tlsa.BaseDomain.Ascii, Strings = tlsa.Records.Select(r => r.ToString()).ToList() });
        var message = CreateMessage();
        using var data = new MemoryStream();
        await message.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, data, cancellationToken).ConfigureAwait(false);
        data.Position = 0;

        var connection = await dialer.DialAsync(mx, ips.Addresses, 25, null, null, cancellationToken).ConfigureAwait(false);
        var options = new SmtpSessionOptions
        {
            // RFC 7672 2.2: with usable TLSA records, STARTTLS is required and DANE decides.
            DaneRecords = tlsa.Records,
            DaneMoreHostnames = names.Skip(1).ToList(),
            RootCertificates = [X509CertificateLoader.LoadCertificate(certificates.Authority.RawData)],
            RecipientDomainResult = domainResult,
            HostResult = hostResult,
            Logger = trace,
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
        };
        IReadOnlyList<SmtpResponse> responses;
        string tls;
        string dane;
        await using (var client = await SmtpClientSession.ConnectAsync(connection.Socket, options with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("client.demo.example"), RemoteHostname = names[0] }, cancellationToken).ConfigureAwait(false))
        {
            tls = client.Tls is { } info ? $"{info.VersionName} {info.CipherSuite}" : "none";
            dane = client.VerifiedDaneRecord?.ToString() ?? "none";
            responses = await client.DeliverMultipleAsync("demo@client.demo.example", Recipients, data.Length, data, DeliveryRequirements.None, cancellationToken).ConfigureAwait(false);
            await client.CloseAsync(cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"SMTP session with {mx} ({connection.Address} port {server.EndPoint.Port}):").ConfigureAwait(false);
        foreach (var line in trace.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Trace).Select(e => e.Message))
        {
            await output.WriteLineAsync("  " + line).ConfigureAwait(false);
        }
        await output.WriteLineAsync($"TLS: {tls}").ConfigureAwait(false);
        await output.WriteLineAsync($"DANE: verified with TLSA record {dane}").ConfigureAwait(false);
        await output.WriteLineAsync("Recipients:").ConfigureAwait(false);
        foreach (var (rcpt, response) in Recipients.Zip(responses))
        {
            var status = response.IsSuccess ? "delivered" : response.Permanent ? "permanent" : "transient";
            await output.WriteLineAsync($"  {rcpt}: {status} ({response.Line})").ConfigureAwait(false);
        }
        await output.WriteLineAsync("TLSRPT results:").ConfigureAwait(false);
        await output.WriteLineAsync(JsonSerializer.Serialize([domainResult, hostResult], TlsRptJsonContext.Indented.ListTlsRptResult)).ConfigureAwait(false);

        var received = server.Messages;
        var ok = received.Count == 1 && received[0].Tls && received[0].Data.Span.SequenceEqual(data.ToArray()) && dane != "none";
        await output.WriteLineAsync(ok ? "Server received the message intact over DANE-verified TLS." : "Server did not receive the message intact.").ConfigureAwait(false);
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
