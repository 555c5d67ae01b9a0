using System.Net;
using System.Net.Sockets;
using SmtpDeliver;

namespace SmtpDeliver.Benchmarks;

/// <summary>
/// A minimal, fast SMTP sink on 127.0.0.1 for the benchmarks: ESMTP with PIPELINING, SIZE, 8BITMIME;
/// accepts every recipient, discards the data. Replies to a pipelined group are written together.
/// </summary>
internal sealed class SinkServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public SinkServer()
    {
        _listener.Start();
        _accept = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            socket.NoDelay = true;
            _ = ServeAsync(socket);
        }
    }

    private static async Task ServeAsync(Socket socket)
    {
        using var s = socket;
        var stream = new NetworkStream(socket, ownsSocket: false);
        var buffer = new byte[64 * 1024];
        var output = new MemoryStream();
        int start = 0, end = 0;
        var inData = false;
        async Task Flush()
        {
            if (output.Length > 0)
            {
                await stream.WriteAsync(output.GetBuffer().AsMemory(0, (int)output.Length));
                output.SetLength(0);
            }
        }
        void Reply(ReadOnlySpan<byte> line) => output.Write(line);
        Reply("220 sink.example ESMTP\r\n"u8);
        await Flush();
        try
        {
            while (true)
            {
                var lf = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (lf < 0)
                {
                    await Flush();
                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }
                    var n = await stream.ReadAsync(buffer.AsMemory(end));
                    if (n == 0)
                    {
                        return;
                    }
                    end += n;
                    continue;
                }
                var line = buffer.AsSpan(start, lf);
                start += lf + 1;
                if (inData)
                {
                    if (line.SequenceEqual(".\r"u8))
                    {
                        inData = false;
                        Reply("250 2.6.0 ok\r\n"u8);
                    }
                    continue;
                }
                if (line.StartsWith("EHLO"u8))
                {
                    Reply("250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n"u8);
                }
                else if (line.StartsWith("MAIL"u8) || line.StartsWith("RCPT"u8) || line.StartsWith("RSET"u8) || line.StartsWith("NOOP"u8))
                {
                    Reply("250 2.0.0 ok\r\n"u8);
                }
                else if (line.StartsWith("DATA"u8))
                {
                    Reply("354 go\r\n"u8);
                    inData = true;
                }
                else if (line.StartsWith("QUIT"u8))
                {
                    Reply("221 bye\r\n"u8);
                    await Flush();
                    return;
                }
                else
                {
                    Reply("500 unknown\r\n"u8);
                }
            }
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
    }
}
