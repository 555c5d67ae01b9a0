using System.CommandLine;
using System.Net.Sockets;
using System.Text.Json;
using MimeKit;
using SmtpDeliver.Names;
using SmtpDeliver.Sasl;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Cli.Commands;

/// <summary>
/// <c>smtpdeliver send --server HOST[:PORT] --from A --to B…</c>: submits or relays a message to one
/// server. Exit 0 when every recipient was accepted, 69 when every failure is permanent, else 75.
/// </summary>
internal static class SendCommand
{
    public static Command Create(CommonOptions common)
    {
        var server = new Option<string?>("--server") { Description = "HOST[:PORT] to deliver to (port 25, or 465 implies --tls implicit)." };
        var from = new Option<string>("--from") { Description = "Envelope sender.", Required = true };
        var to = new Option<string[]>("--to") { Description = "Envelope recipient; repeat for more.", Required = true, AllowMultipleArgumentsPerToken = false };
        var data = new Option<string?>("--data") { Description = "Message file (CRLF or LF line ends), or - for stdin; default: a generated message." };
        var subject = new Option<string>("--subject") { Description = "Subject of the generated message.", DefaultValueFactory = _ => "smtpdeliver test" };
        var body = new Option<string>("--body") { Description = "Body of the generated message.", DefaultValueFactory = _ => "This is a test message sent with smtpdeliver." };
        var remoteName = new Option<string?>("--remote-name") { Description = "Server name for SNI and verification; default the host." };
        var tls = new Option<string?>("--tls") { Description = "opportunistic (default), required, implicit (default for port 465) or none; immediate and skip are accepted too." };
        var verifyPkix = new Option<bool>("--verify-pkix") { Description = "Fail when the certificate does not pass PKIX verification (default with --user)." };
        var user = new Option<string?>("--user") { Description = "Authenticate as this user: TLS is then required (implicit on port 465, STARTTLS otherwise) and the certificate must pass PKIX (system roots or --ca-file) unless --auth-security says otherwise." };
        var passwordFile = new Option<FileInfo?>("--password-file") { Description = "File holding the password." };
        var passwordEnv = new Option<string?>("--password-env") { Description = "Environment variable holding the password." };
        var mechanism = new Option<string?>("--mechanism") { Description = "SASL mechanism instead of the strongest offered." };
        var authSecurity = new Option<string?>("--auth-security") { Description = "verified (default: AUTH only over TLS with a verified certificate), any-tls (any certificate: an active attacker gets the credentials), or cleartext (also without TLS: anyone on the path gets them)." };
        var allowInsecureAuth = new Option<bool>("--allow-insecure-auth") { Description = "The old behaviour: same as --auth-security cleartext, with opportunistic TLS and no PKIX requirement." };
        var requireTls = new Option<bool>("--requiretls") { Description = "Request REQUIRETLS (RFC 8689)." };
        var tlsRequiredNo = new Option<bool>("--tls-required-no") { Description = "TLS-Required: No: record but ignore certificate verification errors." };
        var noMtaSts = new Option<bool>("--no-mta-sts") { Description = "Without --server: do not apply the domain's MTA-STS policy (RFC 8461)." };
        var command = new Command("send", "Send a message to a server.")
        {
            server, from, to, data, subject, body, remoteName, tls, verifyPkix, user, passwordFile, passwordEnv, mechanism, authSecurity, allowInsecureAuth, requireTls, tlsRequiredNo, noMtaSts,
        };
        common.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var json = result.GetValue(common.Json);
            // Every caller string is checked before anything connects (exit 64, one line on stderr).
            if ((common.CheckInput(result, "send") ?? CheckAddresses(result, from, to)) is { } inputError)
            {
                return inputError;
            }
            if (result.GetValue(server) is not { } serverText)
            {
                return await DeliverToDomainAsync(result, common, from, to, data, subject, body, requireTls, tlsRequiredNo, noMtaSts, ct).ConfigureAwait(false);
            }
            if (CommonOptions.TryHostPort(serverText, 25, "send", "--server") is not var (host, port))
            {
                return ExitCodes.Usage;
            }
            var username = result.GetValue(user);
            var security = result.GetValue(allowInsecureAuth) ? AuthSecurity.AllowCleartext : ParseAuthSecurity(result.GetValue(authSecurity));
            if (security is not { } authSecurityValue)
            {
                return CommonOptions.UsageError("send", "--auth-security must be verified, any-tls or cleartext");
            }
            // Submission with credentials: TLS required and verified, as a mail client does (RFC 8314).
            var submission = username is not null && authSecurityValue != AuthSecurity.AllowCleartext;
            var modeText = result.GetValue(tls) ?? (port == 465 ? "implicit" : submission ? "required" : "opportunistic");
            if (ProbeCommand.ParseTlsMode(modeText) is not { } mode)
            {
                return CommonOptions.UsageError("send", "--tls must be opportunistic, required, implicit or none");
            }
            var remoteText = result.GetValue(remoteName) ?? host;
            var remote = Domain.TryParse(remoteText, out var d) ? d : default;
            if (result.GetValue(remoteName) is not null && remote.IsEmpty)
            {
                return CommonOptions.UsageError("send", $"--remote-name {CommonOptions.Printable(remoteText)} is not a valid host name");
            }
            string? password = null;
            if (username is not null)
            {
                try
                {
                    password = result.GetValue(passwordFile) is { } f ? (await File.ReadAllTextAsync(f.FullName, ct).ConfigureAwait(false)).TrimEnd('\r', '\n')
                        : result.GetValue(passwordEnv) is { } v ? Environment.GetEnvironmentVariable(v) : null;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"smtpdeliver send: --password-file: {e.Message}");
                    return ExitCodes.DataError;
                }
                if (password is null)
                {
                    return CommonOptions.UsageError("send", "--user needs --password-file or --password-env");
                }
            }
            if (await TryReadMessageAsync(result, from, to, data, subject, body, ct).ConfigureAwait(false) is not { } message)
            {
                return ExitCodes.DataError;
            }
            var mailFrom = EnvelopeAddress.ParseReversePath(result.GetValue(from)!);
            var rcptTo = result.GetValue(to)!.Select(EnvelopeAddress.Parse).ToList();
            var requirements = Requirements(message) | (result.GetValue(requireTls) ? DeliveryRequirements.RequireTls : DeliveryRequirements.None);
            var domainResult = new TlsRptResult(PolicyType.NoPolicyFound, remote.Ascii);
            var hostResult = new TlsRptResult(PolicyType.NoPolicyFound, remote.Ascii);
            var options = common.SmtpSessionOptions(result) with
            {
                RecipientDomainResult = domainResult,
                HostResult = hostResult,
                IgnoreTlsVerifyErrors = result.GetValue(tlsRequiredNo),
                AuthSecurity = authSecurityValue,
            };
            if (username is not null)
            {
                options = options with { Auth = SaslMechanismChooser.Selector(SaslCredentials.WithPassword(username, password!), result.GetValue(mechanism)) };
            }
            var enforcePkix = result.GetValue(verifyPkix) || (submission && authSecurityValue == AuthSecurity.VerifiedTls);

            var recipients = result.GetValue(to)!;
            string? ip = null;
            SmtpClientSession? client = null;
            try
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(host, port, ct).ConfigureAwait(false);
                ip = (socket.RemoteEndPoint as System.Net.IPEndPoint)?.Address is { } a ? (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).ToString() : null;
                client = await SmtpClientSession.ConnectAsync(socket, options with { TlsMode = mode, EnforcePkix = enforcePkix, EhloHostname = common.EhloName(result), RemoteHostname = remote }, ct).ConfigureAwait(false);
                var responses = await client.DeliverMultipleAsync(mailFrom, rcptTo, message.Length, new MemoryStream(message), requirements, ct).ConfigureAwait(false);
                var rows = recipients.Zip(responses, (r, s) => new RecipientJson(r, s.IsSuccess ? "delivered" : s.Permanent ? "permanent" : "transient", s.Code, s.EnhancedStatusCode, s.Line)).ToList();
                var tlsInfo = new SendTlsJson(client.Tls?.VersionName, client.Tls?.CipherSuite.ToString(), TlsStatus(client, options));
                await client.CloseAsync(ct).ConfigureAwait(false);
                return Report(json, new SendJson(rows, host, ip, tlsInfo, null, [domainResult, hostResult], null));
            }
            catch (Exception e) when (e is SmtpException or SocketException)
            {
                var rows = recipients.Select((r, i) => RowAfterFailure(r, i, e as SmtpException)).ToList();
                var tlsInfo = new SendTlsJson(client?.Tls?.VersionName, client?.Tls?.CipherSuite.ToString(), client is null ? "none" : TlsStatus(client, options));
                return Report(json, new SendJson(rows, host, ip, tlsInfo, null, [domainResult, hostResult], e.Message));
            }
            finally
            {
                if (client is not null)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    // Without --server: the recipients' domain, with the full policy (MX, DANE, REQUIRETLS).
    private static async Task<int> DeliverToDomainAsync(ParseResult result, CommonOptions common, Option<string> from, Option<string[]> to, Option<string?> data, Option<string> subject, Option<string> body, Option<bool> requireTls, Option<bool> tlsRequiredNo, Option<bool> noMtaSts, CancellationToken ct)
    {
        var mailFrom = EnvelopeAddress.ParseReversePath(result.GetValue(from)!);
        var recipients = result.GetValue(to)!.Select(EnvelopeAddress.Parse).ToList();
        if (recipients.Select(r => r.AddressLiteral ?? r.Domain.Ascii).Distinct(StringComparer.OrdinalIgnoreCase).Count() != 1)
        {
            return CommonOptions.UsageError("send", "without --server, all recipients must be in one domain");
        }
        if (recipients.Any(r => r.AddressLiteral is not null && r.LiteralAddress is null))
        {
            return CommonOptions.UsageError("send", "without --server, a recipient needs a domain or an ip address literal");
        }
        if (await TryReadMessageAsync(result, from, to, data, subject, body, ct).ConfigureAwait(false) is not { } message)
        {
            return ExitCodes.DataError;
        }
        var options = common.SmtpSessionOptions(result);
        await using var deliverer = new Delivery.Deliverer(new Delivery.DeliveryOptions
        {
            Resolver = common.CreateResolver(result),
            EhloHostname = common.EhloName(result),
            RootCertificates = options.RootCertificates,
            Timeouts = options.Timeouts,
            Logger = options.Logger,
            UseMtaSts = !result.GetValue(noMtaSts),
        });
        var outcome = await deliverer.DeliverAsync(new Delivery.DeliveryRequest
        {
            MailFrom = mailFrom,
            Recipients = recipients,
            OpenMessage = () => new MemoryStream(message),
            Size = message.Length,
            Requirements = Requirements(message) | (result.GetValue(requireTls) ? DeliveryRequirements.RequireTls : DeliveryRequirements.None),
            TlsRequiredNo = result.GetValue(tlsRequiredNo),
        }, ct).ConfigureAwait(false);
        var last = outcome.Attempts.Count > 0 ? outcome.Attempts[^1] : null;
        var rows = outcome.Recipients.Select(r => new RecipientJson(r.Address.ToString(), r.Status.ToString().ToLowerInvariant(), r.Response?.Code ?? 0, r.Response?.EnhancedStatusCode ?? "", r.Response?.Line ?? r.Error)).ToList();
        var error = outcome.Recipients.FirstOrDefault(r => r.Status != Delivery.RecipientStatus.Delivered)?.Error;
        return Report(result.GetValue(common.Json), new SendJson(rows, last?.Host.Ascii ?? "", last?.Address?.ToString(), new SendTlsJson(null, null, (last?.TlsStatus ?? Delivery.TlsStatus.None).ToString()),
            last?.VerifiedDaneRecord?.ToString(), [outcome.RecipientDomainResult, .. outcome.HostResults], string.IsNullOrEmpty(error) ? null : error));
    }

    /// <summary>
    /// A recipient's row when the transaction failed: its own RCPT refusal when it had one, else the
    /// failure, "uncertain" when the message was sent without a verdict (a script must not resend blindly).
    /// </summary>
    private static RecipientJson RowAfterFailure(string address, int index, SmtpException? e)
    {
        if (e is null)
        {
            return new RecipientJson(address, "transient", 0, "", "");
        }
        var own = index < e.RecipientResponses.Count ? e.RecipientResponses[index] : null;
        if (own is { IsSuccess: false })
        {
            return new RecipientJson(address, own.Permanent ? "permanent" : "transient", own.Code, own.EnhancedStatusCode, own.Line);
        }
        var status = e.DeliveryUncertain ? "uncertain" : e.Permanent ? "permanent" : "transient";
        return new RecipientJson(address, status, e.Response.Code, e.Response.EnhancedStatusCode, e.Response.Line);
    }

    private static string TlsStatus(SmtpClientSession client, SmtpSessionOptions options) =>
        client.Tls is null ? "none" : client.Pkix?.Verified == true ? "verified" : options.IgnoreTlsVerifyErrors ? "unverified:ignored" : "unverified";

    /// <summary>The message to send, or <c>null</c> (reported on stderr) when it cannot be read.</summary>
    private static async Task<byte[]?> TryReadMessageAsync(ParseResult result, Option<string> from, Option<string[]> to, Option<string?> data, Option<string> subject, Option<string> body, CancellationToken ct)
    {
        try
        {
            return await ReadMessageAsync(result.GetValue(data), result.GetValue(from)!, result.GetValue(to)!, result.GetValue(subject)!, result.GetValue(body)!, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ParseException)
        {
            Console.Error.WriteLine($"smtpdeliver send: cannot read message: {e.Message}");
            return null;
        }
    }

    private static async Task<byte[]> ReadMessageAsync(string? path, string from, string[] to, string subject, string body, CancellationToken ct)
    {
        byte[] raw;
        if (path is null)
        {
            var m = new MimeMessage();
            m.From.Add(MailboxAddress.Parse(from));
            foreach (var r in to)
            {
                m.To.Add(MailboxAddress.Parse(r));
            }
            m.Subject = subject;
            m.Date = DateTimeOffset.Now;
            m.Body = new TextPart("plain") { Text = body };
            using var ms = new MemoryStream();
            await m.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, ms, ct).ConfigureAwait(false);
            return ms.ToArray();
        }
        if (path == "-")
        {
            using var stdin = new MemoryStream();
            await Console.OpenStandardInput().CopyToAsync(stdin, ct).ConfigureAwait(false);
            raw = stdin.ToArray();
        }
        else
        {
            raw = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        }
        // Normalise line ends to CRLF; a message file usually has LF.
        var text = new MemoryStream(raw.Length + (raw.Length / 40));
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
            {
                text.WriteByte((byte)'\r');
            }
            else if (raw[i] == '\r' && (i + 1 >= raw.Length || raw[i + 1] != '\n'))
            {
                throw new FormatException($"bare carriage return at byte {i}");
            }
            text.WriteByte(raw[i]);
        }
        if (text.Length > 0 && raw[^1] != '\n')
        {
            text.Write("\r\n"u8);
        }
        return text.ToArray();
    }

    // SMTPUTF8 for addresses is added by the client from the addresses themselves.
    private static DeliveryRequirements Requirements(byte[] message) =>
        message.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xff) >= 0 ? DeliveryRequirements.EightBitMime : DeliveryRequirements.None;

    /// <summary>Checks --from and every --to; writes one line and returns the exit code for the first bad one.</summary>
    private static int? CheckAddresses(ParseResult result, Option<string> from, Option<string[]> to)
    {
        var sender = result.GetValue(from) ?? string.Empty;
        if (sender.Length > 0 && !EnvelopeAddress.TryParse(sender, out _, out var error))
        {
            return CommonOptions.UsageError("send", $"--from: {error}");
        }
        foreach (var r in result.GetValue(to) ?? [])
        {
            if (!EnvelopeAddress.TryParse(r, out _, out var rcptError))
            {
                return CommonOptions.UsageError("send", $"--to: {rcptError}");
            }
        }
        return null;
    }

    private static AuthSecurity? ParseAuthSecurity(string? text) => text switch
    {
        null or "verified" => AuthSecurity.VerifiedTls,
        "any-tls" => AuthSecurity.AnyTls,
        "cleartext" => AuthSecurity.AllowCleartext,
        _ => null,
    };

    private static int Report(bool json, SendJson s)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(s, CliJsonContext.Output.SendJson));
        }
        else
        {
            Console.WriteLine($"{s.Host} ({s.Ip}): tls {s.Tls.Version ?? "none"} {s.Tls.Cipher} {s.Tls.Status}{(s.Error is null ? "" : ", error: " + s.Error)}");
            foreach (var r in s.Recipients)
            {
                Console.WriteLine($"  {r.Address}: {r.Status} {r.Line}");
            }
        }
        if (s.Recipients.TrueForAll(r => r.Status == "delivered"))
        {
            return ExitCodes.Success;
        }
        return s.Recipients.Where(r => r.Status != "delivered").All(r => r.Status == "permanent") ? ExitCodes.Permanent : ExitCodes.Temporary;
    }
}
