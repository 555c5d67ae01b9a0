using System.Net;
using System.Net.Sockets;

namespace SmtpDeliver.Testing;

/// <summary>
/// An in-process SMTP server on a loopback socket that runs a script against exactly one client
/// connection (or one script per connection, in turn) and records the transcript ("S: " lines it wrote,
/// "C: " lines it read). Reads byte by byte, so nothing is buffered past a STARTTLS reply. Every read is
/// bounded by a timeout so a test never hangs. For a server that answers any client like an MTA, see
/// <see cref="SmtpSink"/>.
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
                var session = new ServerSession(client.GetStream(), Transcript);
                await using (session.ConfigureAwait(false))
                {
                    await script(session).ConfigureAwait(false);
                }
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
                await s.WriteLineAsync(step[3..]).ConfigureAwait(false);
            }
            else if (step == "C: *")
            {
                await s.ReadLineAsync().ConfigureAwait(false);
            }
            else if (step.StartsWith("C: ", StringComparison.Ordinal))
            {
                await s.ExpectAsync(step[3..]).ConfigureAwait(false);
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

    /// <summary>Where the server listens (127.0.0.1, an ephemeral port).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>A socket connected to the server.</summary>
    public async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(EndPoint).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    /// <summary>Waits for the script to finish; rethrows its failure.</summary>
    public async Task CompletionAsync(int timeoutMs = 15000) => await _run.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs)).ConfigureAwait(false);

    /// <summary>Stops listening and waits (at most 15 seconds) for the script; its failure is not rethrown here.</summary>
    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The test asserts on CompletionAsync where the script's outcome matters.
        }
        _listener.Dispose();
    }
}
