using System.Net.Security;
using System.Net.Sockets;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Tls;

namespace SmtpDeliver.Tests.Support;

/// <summary>
/// An in-process SMTP server on a loopback socket that runs a script against exactly one client
/// connection and records the transcript ("S: " lines it wrote, "C: " lines it read). Reads byte by
/// byte, so nothing is buffered past a STARTTLS reply. Every read is bounded by a timeout so a test
/// never hangs.
/// </summary>
public sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _run;

    private ScriptedSmtpServer(params Func<ServerSession, Task>[] scripts)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _run = Task.Run(async () =>
        {
            foreach (var script in scripts)
            {
                using var client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
                client.NoDelay = true;
                await using var session = new ServerSession(client.GetStream(), Transcript);
                await script(session).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Starts a server that runs <paramref name="script"/> for the first connection.</summary>
    public static ScriptedSmtpServer Start(Func<ServerSession, Task> script) => new(script);

    /// <summary>Starts a server that runs one script per connection, connections one after the other.</summary>
    public static ScriptedSmtpServer StartSequence(params Func<ServerSession, Task>[] scripts) => new(scripts);

    /// <summary>Starts a server that plays a fixed transcript: "S: line" is sent, "C: line" must be read exactly; "C: *" reads any line.</summary>
    public static ScriptedSmtpServer Play(params string[] transcript) => new(async s =>
    {
        foreach (var step in transcript)
        {
            if (step.StartsWith("S: ", StringComparison.Ordinal))
            {
                await s.WriteLineAsync(step[3..]);
            }
            else if (step == "C: *")
            {
                await s.ReadLineAsync();
            }
            else if (step.StartsWith("C: ", StringComparison.Ordinal))
            {
                await s.ExpectAsync(step[3..]);
            }
            else if (step == "close")
            {
                s.Close();
                return;
            }
            else
            {
                throw new ArgumentException($"bad transcript step {step}");
            }
        }
    });

    /// <summary>Lines in order: "S: …" written by the server, "C: …" read from the client.</summary>
    public List<string> Transcript { get; } = [];

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>A socket connected to the server.</summary>
    public async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(EndPoint);
        return socket;
    }

    /// <summary>Waits for the script to finish; rethrows its failure.</summary>
    public async Task CompletionAsync(int timeoutMs = 15000) => await _run.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs));

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception)
        {
            // The test asserts on CompletionAsync where the script's outcome matters.
        }
        _listener.Dispose();
    }
}

/// <summary>The server side of one scripted connection.</summary>
public sealed class ServerSession(Stream stream, List<string> transcript) : IAsyncDisposable
{
    private Stream _stream = stream;
    private readonly byte[] _one = new byte[1];

    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public async Task WriteLineAsync(string line)
    {
        lock (transcript)
        {
            transcript.Add("S: " + line);
        }
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
        await _stream.FlushAsync();
    }

    /// <summary>Writes raw bytes without CRLF or transcript.</summary>
    public async Task WriteRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes (e.g. a BDAT chunk, RFC 3030 2); records "C: [n bytes]" in
    /// the transcript. Fails at end of stream or after <see cref="ReadTimeout"/>.
    /// </summary>
    public async Task<byte[]> ReadExactAsync(int count)
    {
        using var cts = new CancellationTokenSource(ReadTimeout);
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer, cts.Token);
        lock (transcript)
        {
            transcript.Add($"C: [{count} bytes]");
        }
        return buffer;
    }

    /// <summary>Reads one line without its CRLF; null at end of stream.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(ReadTimeout);
        var bytes = new List<byte>();
        while (true)
        {
            var n = await _stream.ReadAsync(_one, cts.Token);
            if (n == 0)
            {
                return bytes.Count == 0 ? null : throw new IOException("eof in line");
            }
            if (_one[0] == '\n')
            {
                if (bytes.Count > 0 && bytes[^1] == '\r')
                {
                    bytes.RemoveAt(bytes.Count - 1);
                }
                var line = Encoding.UTF8.GetString(bytes.ToArray());
                lock (transcript)
                {
                    transcript.Add("C: " + line);
                }
                return line;
            }
            bytes.Add(_one[0]);
        }
    }

    /// <summary>Reads a line and fails when it is not <paramref name="expected"/>.</summary>
    public async Task ExpectAsync(string expected)
    {
        var line = await ReadLineAsync();
        if (line != expected)
        {
            throw new InvalidOperationException($"server expected \"{expected}\", got \"{line}\"");
        }
    }

    /// <summary>Reads a line and fails unless it starts with <paramref name="prefix"/>.</summary>
    public async Task<string> ExpectPrefixAsync(string prefix)
    {
        var line = await ReadLineAsync();
        if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"server expected a line starting with \"{prefix}\", got \"{line}\"");
        }
        return line;
    }

    /// <summary>
    /// The common opening: "220 mox.example", EHLO from "localhost" answered with STARTTLS announced, and
    /// the client's STARTTLS read (not yet answered).
    /// </summary>
    public async Task GreetUntilStartTlsAsync()
    {
        await WriteLineAsync("220 mox.example");
        await ExpectAsync("EHLO localhost");
        await WriteLineAsync("250-mox.example");
        await WriteLineAsync("250 STARTTLS");
        await ExpectAsync("STARTTLS");
    }

    /// <summary>
    /// Answers STARTTLS with 220 and offers a TLS handshake with <paramref name="certificate"/> that the
    /// client is expected to reject; returns when the client has gone.
    /// </summary>
    public async Task OfferRejectedTlsAsync(X509Certificate2 certificate)
    {
        await WriteLineAsync("220 go");
        try
        {
            await StartTlsAsync(certificate);
            await DrainAsync();
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // The client refused the certificate during or right after the handshake.
        }
    }

    /// <summary>
    /// Serves one non-pipelined transaction with one recipient: MAIL (after <paramref name="beforeMailReply"/>),
    /// RCPT, DATA and the message, each answered positively; <paramref name="finalReply"/> ends the data, or
    /// with <c>null</c> the server closes the connection without a verdict.
    /// </summary>
    public async Task<string> ServeTransactionAsync(string? finalReply = "250 queued", Func<Task>? beforeMailReply = null)
    {
        await ExpectPrefixAsync("MAIL FROM:<");
        if (beforeMailReply is not null)
        {
            await beforeMailReply();
        }
        await WriteLineAsync("250 ok");
        await ExpectPrefixAsync("RCPT TO:<");
        await WriteLineAsync("250 ok");
        await ExpectAsync("DATA");
        await WriteLineAsync("354 go");
        var data = await ReadDataAsync();
        if (finalReply is null)
        {
            Close();
            return data;
        }
        await WriteLineAsync(finalReply);
        return data;
    }

    /// <summary>Reads message data up to the "." line and returns it unstuffed, with CRLF line ends.</summary>
    public async Task<string> ReadDataAsync()
    {
        var sb = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync() ?? throw new IOException("eof in data");
            if (line == ".")
            {
                return sb.ToString();
            }
            sb.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
        }
    }

    /// <summary>Runs the server side of a TLS handshake.</summary>
    public async Task StartTlsAsync(X509Certificate2 certificate, SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13, X509Certificate2[]? chain = null, bool requireClientCertificate = false, bool rejectClientCertificate = false)
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => !rejectClientCertificate);
        var options = new SslServerAuthenticationOptions
        {
            EnabledSslProtocols = protocols,
            ClientCertificateRequired = requireClientCertificate,
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, chain is null ? null : new X509Certificate2Collection(chain), offline: true),
        };
        using var cts = new CancellationTokenSource(ReadTimeout);
        await ssl.AuthenticateAsServerAsync(options, cts.Token);
        ClientCertificate = ssl.RemoteCertificate is null ? null : new X509Certificate2(ssl.RemoteCertificate);
        ServerName = ssl.TargetHostName;
        TlsUnique = ChannelBindingData.TryGetTlsUnique(ssl);
        _stream = ssl;
        lock (transcript)
        {
            transcript.Add("(tls)");
        }
    }

    /// <summary>The tls-unique channel binding on TLS 1.2, after <see cref="StartTlsAsync"/>.</summary>
    public byte[]? TlsUnique { get; private set; }

    /// <summary>The SNI name the client sent, after <see cref="StartTlsAsync"/>; empty when none.</summary>
    public string ServerName { get; private set; } = "";

    /// <summary>The certificate the client presented, after <see cref="StartTlsAsync"/>.</summary>
    public X509Certificate2? ClientCertificate { get; private set; }

    /// <summary>Waits for the client to send something (e.g. its TLS ClientHello) and discards it.</summary>
    public async Task<int> ReadSomeAsync()
    {
        using var cts = new CancellationTokenSource(ReadTimeout);
        return await _stream.ReadAsync(new byte[4096], cts.Token);
    }

    /// <summary>Reads until the client closes; returns the number of bytes read.</summary>
    public async Task<int> DrainAsync()
    {
        var total = 0;
        try
        {
            using var cts = new CancellationTokenSource(ReadTimeout);
            var buf = new byte[4096];
            int n;
            while ((n = await _stream.ReadAsync(buf, cts.Token)) > 0)
            {
                total += n;
            }
        }
        catch (IOException)
        {
        }
        return total;
    }

    /// <summary>Reads until the client closes, at most <paramref name="bytesPerTick"/> bytes per <paramref name="tick"/>; returns the bytes read.</summary>
    public async Task<long> ReadSlowlyAsync(int bytesPerTick, TimeSpan tick)
    {
        var buffer = new byte[bytesPerTick];
        long total = 0;
        try
        {
            while (true)
            {
                await Task.Delay(tick);
                var got = 0;
                while (got < bytesPerTick)
                {
                    using var cts = new CancellationTokenSource(ReadTimeout);
                    var n = await _stream.ReadAsync(buffer.AsMemory(got), cts.Token);
                    if (n == 0)
                    {
                        return total + got;
                    }
                    got += n;
                }
                total += got;
            }
        }
        catch (IOException)
        {
            return total;
        }
    }

    /// <summary>Writes <paramref name="text"/> one byte at a time, <paramref name="delay"/> apart; stops quietly when the client has gone.</summary>
    public async Task TrickleAsync(string text, TimeSpan delay)
    {
        try
        {
            foreach (var b in Encoding.ASCII.GetBytes(text))
            {
                await _stream.WriteAsync(new[] { b });
                await _stream.FlushAsync();
                await Task.Delay(delay);
            }
        }
        catch (IOException)
        {
        }
    }

    public void Close() => _stream.Dispose();

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
