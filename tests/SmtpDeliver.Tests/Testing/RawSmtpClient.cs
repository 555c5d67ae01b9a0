using System.Net.Sockets;
using System.Text;

namespace SmtpDeliver.Tests.Testing;

/// <summary>A bare client on a socket, for driving the loopback servers byte by byte.</summary>
internal sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private RawSmtpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public static async Task<RawSmtpClient> ConnectAsync(SmtpSink sink) => new(await sink.ConnectAsync());

    /// <summary>Sends text as one write (one flight).</summary>
    public async Task SendAsync(string text) => await _stream.WriteAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads one reply, all its lines joined with "\n"; null when the server closed.</summary>
    public async Task<string?> ReadReplyAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var lines = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cts.Token);
            if (line is null)
            {
                return lines.Count == 0 ? null : string.Join("\n", lines);
            }
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return string.Join("\n", lines);
            }
        }
    }

    /// <summary>Reads a reply and checks its first line starts with <paramref name="prefix"/>.</summary>
    public async Task<string> ExpectAsync(string prefix)
    {
        var reply = await ReadReplyAsync();
        Assert.NotNull(reply);
        Assert.StartsWith(prefix, reply, StringComparison.Ordinal);
        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
