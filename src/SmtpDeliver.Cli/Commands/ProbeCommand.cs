using System.CommandLine;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text.Json;
using SmtpDeliver.Dane;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Cli.Commands;

/// <summary><c>smtpdeliver probe HOST[:PORT]</c>: what a server offers and presents, without delivering.</summary>
internal static class ProbeCommand
{
    public static Command Create(CommonOptions common)
    {
        var target = new Argument<string>("host") { Description = "HOST[:PORT], port 25 by default." };
        var tls = new Option<string>("--tls") { Description = "opportunistic, required (STARTTLS), implicit (TLS on connect) or none; immediate and skip are accepted too.", DefaultValueFactory = _ => "opportunistic" };
        var remoteName = new Option<string?>("--remote-name") { Description = "Name for SNI and verification; default the host." };
        var command = new Command("probe", "Connect, read the greeting and EHLO extensions, do TLS, and show the TLS version and cipher, the certificates as sent, the PKIX and DANE verdicts and the TLSRPT results.") { target, tls, remoteName };
        common.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result, common, target, tls, remoteName, ct));
        return command;
    }

    internal static TlsMode? ParseTlsMode(string text) => text switch
    {
        "opportunistic" => TlsMode.Opportunistic,
        "required" => TlsMode.RequiredStartTls,
        "implicit" or "immediate" => TlsMode.Implicit,
        "none" or "skip" => TlsMode.None,
        _ => null,
    };

    private static async Task<int> RunAsync(ParseResult result, CommonOptions common, Argument<string> target, Option<string> tlsOption, Option<string?> remoteNameOption, CancellationToken cancellationToken)
    {
        if (common.CheckInput(result, "probe") is { } inputError)
        {
            return inputError;
        }
        if (CommonOptions.TryHostPort(result.GetValue(target)!, 25, "probe", "target") is not var (host, port))
        {
            return ExitCodes.Usage;
        }
        if (ParseTlsMode(result.GetValue(tlsOption)!) is not { } mode)
        {
            Console.Error.WriteLine("smtpdeliver probe: --tls must be opportunistic, required, implicit or none");
            return ExitCodes.Usage;
        }
        var remote = Domain.TryParse(result.GetValue(remoteNameOption) ?? host, out var d) ? d : default;
        IReadOnlyList<TlsaRecord>? records = null;
        if (!remote.IsEmpty && result.GetValue(common.Resolver) is not null)
        {
            var resolver = common.CreateResolver(result);
            try
            {
                var tlsa = await Gather.TlsaAsync(resolver, remote, false, remote, cancellationToken).ConfigureAwait(false);
                records = tlsa.DaneRequired ? tlsa.Records : null;
            }
            catch (GatherException e)
            {
                Console.Error.WriteLine($"smtpdeliver probe: tlsa lookup failed, dane not checked: {e.Message}");
            }
        }
        var domainResult = new TlsRptResult(PolicyType.NoPolicyFound, remote.Ascii);
        var hostResult = records is null ? new TlsRptResult(PolicyType.NoPolicyFound, remote.Ascii)
            : new TlsRptResult(new TlsRptResultPolicy { Type = PolicyType.Tlsa, Domain = remote.Ascii, Strings = records.Select(r => r.ToString()).ToList() });
        var options = common.SmtpSessionOptions(result) with { RecipientDomainResult = domainResult, HostResult = hostResult, DaneRecords = records, IgnoreTlsVerifyErrors = true };
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            return Fail(result.GetValue(common.Json), host, port, $"connecting: {e.Message}", [domainResult, hostResult]);
        }
        try
        {
            await using var client = await SmtpClientSession.ConnectAsync(socket, options with { TlsMode = mode, EnforcePkix = false, EhloHostname = common.EhloName(result), RemoteHostname = remote }, cancellationToken).ConfigureAwait(false);
            var certificates = (client.Tls?.PeerCertificates ?? []).Select(Describe).ToList();
            var extensions = Extensions(client);
            // Every extension in the order the server announced it, the ones this library ignores too.
            var all = client.Extensions.All.Select(e => new ProbeExtensionJson(e.Keyword, e.Parameters)).ToList();
            var probe = new ProbeJson(host, port, client.RemoteGreeting, extensions, all, client.SupportsStartTls, client.Tls?.VersionName, client.Tls?.CipherSuite.ToString(),
                certificates, client.Pkix?.Verified, client.Pkix is { Verified: false } p ? p.Problem : null,
                client.Dane is null ? null : client.Dane.Verified ? "verified" : "failed", client.VerifiedDaneRecord?.ToString(), [domainResult, hostResult], null);
            await client.CloseAsync(cancellationToken).ConfigureAwait(false);
            Print(result.GetValue(common.Json), probe);
            return ExitCodes.Success;
        }
        catch (SmtpException e)
        {
            return Fail(result.GetValue(common.Json), host, port, e.Message, [domainResult, hostResult], e.Permanent ? ExitCodes.Permanent : ExitCodes.Temporary);
        }
    }

    private static Dictionary<string, string> Extensions(SmtpClientSession client)
    {
        var e = client.Extensions;
        var d = new Dictionary<string, string>();
        void Add(bool on, string name, string value = "")
        {
            if (on)
            {
                d[name] = value;
            }
        }
        Add(e.Pipelining, "PIPELINING");
        Add(e.Size, "SIZE", e.MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add(e.EightBitMime, "8BITMIME");
        Add(e.SmtpUtf8, "SMTPUTF8");
        Add(e.EnhancedStatusCodes, "ENHANCEDSTATUSCODES");
        Add(e.RequireTls, "REQUIRETLS");
        Add(e.StartTls, "STARTTLS");
        Add(e.AuthMechanisms.Count > 0, "AUTH", string.Join(' ', e.AuthMechanisms));
        Add(e.Limits is not null, "LIMITS", e.Limits is null ? "" : string.Join(' ', e.Limits.Pairs.Select(p => $"{p.Key}={p.Value}")));
        return d;
    }

    private static CertificateJson Describe(X509Certificate2 c)
    {
        var names = c.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(s => s.EnumerateDnsNames()).ToList();
        return new CertificateJson(c.Subject, names, c.Issuer, c.NotBefore.ToUniversalTime(), c.NotAfter.ToUniversalTime(),
            Convert.ToHexStringLower(SHA256.HashData(c.PublicKey.ExportSubjectPublicKeyInfo())));
    }

    private static void Print(bool json, ProbeJson p)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(p, CliJsonContext.Output.ProbeJson));
            return;
        }
        Console.WriteLine($"{p.Host}:{p.Port}: 220 {Escape(p.Greeting)}");
        var extensions = p.ExtensionsAll.Select(e => e.Parameters.Length > 0 ? $"{e.Keyword} {Escape(e.Parameters)}" : e.Keyword).ToList();
        Console.WriteLine($"  extensions: {(extensions.Count == 0 ? "none" : string.Join(", ", extensions))}");
        Console.WriteLine($"  tls: {p.TlsVersion ?? "none"} {p.Cipher}");
        foreach (var c in p.Certificates)
        {
            Console.WriteLine($"  certificate: {c.Subject} [{string.Join(", ", c.DnsNames)}] issuer {c.Issuer}, valid {c.NotBefore:u} to {c.NotAfter:u}, spki sha256 {c.SpkiSha256}");
        }
        Console.WriteLine($"  pkix: {(p.PkixVerified is null ? "not evaluated" : p.PkixVerified.Value ? "verified" : "failed: " + p.PkixProblem)}");
        Console.WriteLine($"  dane: {p.DaneResult ?? "no tlsa records"}{(p.DaneRecord is null ? "" : " by " + p.DaneRecord)}");
        Console.WriteLine("  tlsrpt: " + JsonSerializer.Serialize(p.Tlsrpt, TlsRptJsonContext.Default.ListTlsRptResult));
    }

    /// <summary>Server text for a terminal: control and format characters (escape sequences, bidi overrides) as \uXXXX.</summary>
    private static string Escape(string text)
    {
        if (!text.Any(IsUnsafe))
        {
            return text;
        }
        var b = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            b.Append(IsUnsafe(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }
        return b.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format;

    private static int Fail(bool json, string host, int port, string error, List<TlsRptResult> tlsrpt, int code = ExitCodes.Temporary)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new ProbeJson(host, port, "", [], [], false, null, null, [], null, null, null, null, tlsrpt, error), CliJsonContext.Output.ProbeJson));
        }
        else
        {
            Console.Error.WriteLine($"smtpdeliver probe: {host}:{port}: {error}");
        }
        return code;
    }
}
