using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>Options of the scripted server that mirrors mox's TestClient server.</summary>
public sealed record ScenarioOptions
{
    public bool Ehlo { get; init; } = true;
    public bool Pipelining { get; init; }
    public bool Ecodes { get; init; }
    public long MaxSize { get; init; }
    public bool StartTls { get; init; }
    public bool EightBitMime { get; init; }
    public bool SmtpUtf8 { get; init; }
    public bool RequireTlsAfterTls { get; init; }
    public string[]? Auths { get; init; }
    public int[] RcptCodes { get; init; } = [];
    public int Recipients { get; init; } = 1;
    public X509Certificate2? Certificate { get; init; }
    public System.Security.Authentication.SslProtocols TlsProtocols { get; init; } = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
    /// <summary>The password the SCRAM server checks.</summary>
    public string ScramPassword { get; init; } = "test";
    /// <summary>False when the client is expected to fail before or during setup: the server stops after the handshake part.</summary>
    public bool ExpectDelivery { get; init; } = true;
    /// <summary>True when the first delivery succeeds, so the client resets and delivers again.</summary>
    public bool ExpectSecondDelivery { get; init; } = true;
}

/// <summary>
/// The server script of mox's TestClient: greeting, EHLO (or HELO after "500"), STARTTLS, AUTH PLAIN or
/// a CRAM-MD5 challenge, then one or two deliveries, then QUIT. Records the received messages.
/// </summary>
public static class MoxScenarioServer
{
    public static ScriptedSmtpServer Start(ScenarioOptions o, List<string> receivedMessages) => ScriptedSmtpServer.Start(async s =>
    {
        var haveTls = false;
        var ehlo = true;
        async Task HelloAsync()
        {
            if (!ehlo)
            {
                await s.ExpectPrefixAsync("HELO ");
                await s.WriteLineAsync("250 mox.example");
                return;
            }
            await s.ExpectPrefixAsync("EHLO ");
            if (!o.Ehlo)
            {
                await s.WriteLineAsync("500 bad syntax");
                ehlo = false;
                await HelloAsync();
                return;
            }
            await s.WriteLineAsync("250-mox.example");
            if (o.Pipelining)
            {
                await s.WriteLineAsync("250-PIPELINING");
            }
            if (o.MaxSize > 0)
            {
                await s.WriteLineAsync($"250-SIZE {o.MaxSize}");
            }
            if (o.Ecodes)
            {
                await s.WriteLineAsync("250-ENHANCEDSTATUSCODES");
            }
            if (o.StartTls && !haveTls)
            {
                await s.WriteLineAsync("250-STARTTLS");
            }
            if (o.EightBitMime)
            {
                await s.WriteLineAsync("250-8BITMIME");
            }
            if (o.SmtpUtf8)
            {
                await s.WriteLineAsync("250-SMTPUTF8");
            }
            if (o.RequireTlsAfterTls && haveTls)
            {
                await s.WriteLineAsync("250-REQUIRETLS");
            }
            if (o.Auths is not null)
            {
                await s.WriteLineAsync("250-AUTH " + string.Join(' ', o.Auths));
            }
            await s.WriteLineAsync("250-LIMITS MAILMAX=10 RCPTMAX=100 RCPTDOMAINMAX=1");
            await s.WriteLineAsync("250 UNKNOWN");
        }

        await s.WriteLineAsync("220 mox.example ESMTP test");
        await HelloAsync();
        if (o.StartTls)
        {
            var line = await s.ReadLineAsync();
            if (line != "STARTTLS")
            {
                // The client gave up (e.g. a requirement it checked locally); only QUIT may follow.
                if (line == "QUIT")
                {
                    await s.WriteLineAsync("221 ok");
                }
                return;
            }
            await s.WriteLineAsync("220 go");
            try
            {
                await s.StartTlsAsync(o.Certificate ?? TestCertificates.Server, o.TlsProtocols);
            }
            catch (Exception) when (!o.ExpectDelivery)
            {
                return;
            }
            if (!o.ExpectDelivery)
            {
                // With TLS 1.3 the server may finish its handshake before the client rejects the
                // certificate; the client must then close without saying anything more.
                string? after;
                try
                {
                    after = await s.ReadLineAsync();
                }
                catch (IOException)
                {
                    after = null;
                }
                if (after is not null)
                {
                    throw new InvalidOperationException($"client continued after failed verification: {after}");
                }
                return;
            }
            haveTls = true;
            await HelloAsync();
        }
        if (o.Auths is not null)
        {
            var auth = await s.ExpectPrefixAsync("AUTH ");
            if (auth.StartsWith("AUTH PLAIN", StringComparison.Ordinal))
            {
                await s.WriteLineAsync("235 2.7.0 auth ok");
            }
            else if (auth == "AUTH CRAM-MD5")
            {
                await s.WriteLineAsync("334 " + Convert.ToBase64String("<123.1234@host>"u8.ToArray()));
                await s.ReadLineAsync();
                await s.WriteLineAsync("235 2.7.0 auth ok");
            }
            else if (auth.StartsWith("AUTH SCRAM-", StringComparison.Ordinal))
            {
                var words = auth.Split(' ');
                var plus = words[1].EndsWith("-PLUS", StringComparison.Ordinal);
                if (plus && !haveTls)
                {
                    await s.WriteLineAsync("501 scram plus without tls not possible");
                }
                else
                {
                    var hash = words[1].StartsWith("SCRAM-SHA-1", StringComparison.Ordinal) ? SmtpDeliver.Sasl.ScramHash.Sha1 : SmtpDeliver.Sasl.ScramHash.Sha256;
                    var scram = new ScramTestServer(hash, o.ScramPassword, hash == SmtpDeliver.Sasl.ScramHash.Sha1 ? 8192 : 4096, plus ? s.TlsUnique : null);
                    var clientFirst = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(words[2]));
                    await s.WriteLineAsync("334 " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(scram.ServerFirst(clientFirst))));
                    var clientFinal = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(await s.ReadLineAsync() ?? ""));
                    var verdict = scram.ServerFinal(clientFinal);
                    await s.WriteLineAsync("334 " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(verdict)));
                    var after = await s.ReadLineAsync();
                    await s.WriteLineAsync(after == "" && verdict.StartsWith("v=", StringComparison.Ordinal) ? "235 2.7.0 auth ok" : "535 5.7.8 bad credentials");
                }
            }
            else
            {
                await s.WriteLineAsync("501 unknown mechanism");
            }
        }
        if (o.ExpectDelivery)
        {
            await DeliveryAsync(s, o, receivedMessages);
            if (o.ExpectSecondDelivery)
            {
                await s.ExpectAsync("RSET");
                await s.WriteLineAsync("250 ok");
                await DeliveryAsync(s, o, receivedMessages);
            }
        }
        var quit = await s.ReadLineAsync();
        if (quit == "QUIT")
        {
            await s.WriteLineAsync("221 ok");
        }
    });

    private static async Task DeliveryAsync(ServerSession s, ScenarioOptions o, List<string> receivedMessages)
    {
        await s.ExpectPrefixAsync("MAIL FROM:");
        await s.WriteLineAsync("250 ok");
        for (var i = 0; i < o.Recipients; i++)
        {
            await s.ExpectPrefixAsync("RCPT TO:");
            await s.WriteLineAsync(i < o.RcptCodes.Length ? $"{o.RcptCodes[i]} maybe" : "250 ok");
        }
        await s.ExpectAsync("DATA");
        await s.WriteLineAsync("354 continue");
        receivedMessages.Add(await s.ReadDataAsync());
        await s.WriteLineAsync("250 ok");
    }
}
