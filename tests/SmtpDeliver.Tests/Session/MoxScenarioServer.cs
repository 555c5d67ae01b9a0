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
    public X509Certificate2? Certificate { get; init; }
    public System.Security.Authentication.SslProtocols TlsProtocols { get; init; } = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
    /// <summary>The password the SCRAM server checks.</summary>
    public string ScramPassword { get; init; } = "test";
    /// <summary>False when the client is expected to fail before delivering: a MAIL, or any command after a STARTTLS handshake, is then a test failure.</summary>
    public bool ExpectDelivery { get; init; } = true;
    /// <summary>False when the first delivery fails, so a second MAIL is a test failure.</summary>
    public bool ExpectSecondDelivery { get; init; } = true;
}

/// <summary>
/// The server of mox's TestClient on the shared <see cref="SmtpSink"/>: greeting, EHLO (or "500" so the client
/// falls back to HELO), the configured extensions, STARTTLS, AUTH PLAIN, CRAM-MD5 or SCRAM, then the
/// deliveries with mox's reply texts. A command the scenario does not expect is recorded as an
/// <see cref="InvalidOperationException"/> in <see cref="SmtpSink.Errors"/>.
/// </summary>
public static class MoxScenarioServer
{
    public static SmtpSink Start(ScenarioOptions o, List<string> receivedMessages)
    {
        var extensions = SmtpSinkExtensions.Limits;
        void Add(bool on, SmtpSinkExtensions extension)
        {
            if (on)
            {
                extensions |= extension;
            }
        }
        Add(o.Pipelining, SmtpSinkExtensions.Pipelining);
        Add(o.MaxSize > 0, SmtpSinkExtensions.Size);
        Add(o.Ecodes, SmtpSinkExtensions.EnhancedStatusCodes);
        Add(o.StartTls, SmtpSinkExtensions.StartTls);
        Add(o.EightBitMime, SmtpSinkExtensions.EightBitMime);
        Add(o.SmtpUtf8, SmtpSinkExtensions.SmtpUtf8);
        Add(o.RequireTlsAfterTls, SmtpSinkExtensions.RequireTls);
        Add(o.Auths is not null, SmtpSinkExtensions.Auth);
        var mails = 0;
        return SmtpSink.Start(new SmtpSinkOptions
        {
            HostName = "mox.example",
            Greeting = "220 mox.example ESMTP test",
            Extensions = extensions,
            MaxMessageSize = o.MaxSize > 0 ? o.MaxSize : 10 * 1024 * 1024,
            Limits = "MAILMAX=10 RCPTMAX=100 RCPTDOMAINMAX=1",
            MoreExtensions = ["UNKNOWN"],
            AuthMechanisms = o.Auths ?? [],
            AuthExchange = (s, line) => AuthAsync(s, line, o),
            Certificate = o.StartTls ? o.Certificate ?? TestCertificates.Server : null,
            TlsProtocols = o.TlsProtocols,
            RecordTranscript = true,
            Timeout = TimeSpan.FromSeconds(10),
            Reply = c =>
            {
                if (!o.ExpectDelivery && (c.Verb == "MAIL" || (o.StartTls && c.Tls)))
                {
                    throw new InvalidOperationException($"client continued: {c.Line}");
                }
                if (c.Verb == "MAIL" && ++mails > 1 && !o.ExpectSecondDelivery)
                {
                    throw new InvalidOperationException($"unexpected second delivery: {c.Line}");
                }
                return ValueTask.FromResult(c.Verb switch
                {
                    "EHLO" when !o.Ehlo => "500 bad syntax",
                    "MAIL" or "RSET" => "250 ok",
                    "RCPT" => c.Recipient < o.RcptCodes.Length ? $"{o.RcptCodes[c.Recipient]} maybe" : "250 ok",
                    // As mox's test server: data is read even when no recipient was accepted.
                    "DATA" => "354 continue",
                    "QUIT" => "221 ok",
                    _ => null,
                });
            },
            MessageReply = m =>
            {
                lock (receivedMessages)
                {
                    receivedMessages.Add(m.Text);
                }
                return ValueTask.FromResult<string?>("250 ok");
            },
        });
    }

    private static async Task AuthAsync(ServerSession s, string auth, ScenarioOptions o)
    {
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
            if (plus && !s.IsTls)
            {
                await s.WriteLineAsync("501 scram plus without tls not possible");
                return;
            }
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
        else
        {
            await s.WriteLineAsync("501 unknown mechanism");
        }
    }
}
