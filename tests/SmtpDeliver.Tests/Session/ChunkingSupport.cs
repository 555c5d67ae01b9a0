using System.Text;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Session;

/// <summary>Server-side BDAT reading (RFC 3030 2) and client streams for the chunking tests.</summary>
internal static class ChunkingSupport
{
    public static readonly SmtpSessionOptions Fast = new()
    {
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)),
        TlsMode = TlsMode.None,
        EhloHostname = Domain.Parse("localhost"),
    };

    public static async Task<SmtpClientSession> ConnectAsync(ScriptedSmtpServer s, SmtpSessionOptions? options = null) =>
        await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), options ?? Fast);

    /// <summary>Greets and answers EHLO with <paramref name="extensions"/>.</summary>
    public static async Task GreetAsync(this ServerSession s, params string[] extensions)
    {
        await s.WriteLineAsync("220 mx.example");
        await s.ExpectAsync("EHLO localhost");
        await s.WriteLineAsync(extensions.Length == 0 ? "250 mx.example" : "250-mx.example");
        for (var i = 0; i < extensions.Length; i++)
        {
            await s.WriteLineAsync((i == extensions.Length - 1 ? "250 " : "250-") + extensions[i]);
        }
    }

    /// <summary>Reads "BDAT n [LAST]" and the n bytes after it.</summary>
    public static async Task<(byte[] Data, bool Last)> ReadBdatAsync(this ServerSession s)
    {
        var line = await s.ExpectPrefixAsync("BDAT ");
        var parts = line.Split(' ');
        var last = parts.Length == 3 && parts[2] == "LAST";
        if (parts.Length is < 2 or > 3 || (parts.Length == 3 && !last))
        {
            throw new InvalidOperationException($"bad bdat line {line}");
        }
        return (await s.ReadExactAsync(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)), last);
    }

    /// <summary>Reads chunks up to LAST, answering each with <paramref name="reply"/>; returns the message.</summary>
    public static async Task<byte[]> ReadChunksAsync(this ServerSession s, string reply = "250 ok", List<int>? sizes = null)
    {
        var message = new MemoryStream();
        while (true)
        {
            var (data, last) = await s.ReadBdatAsync();
            sizes?.Add(data.Length);
            message.Write(data);
            await s.WriteLineAsync(reply);
            if (last)
            {
                return message.ToArray();
            }
        }
    }

    public static async Task QuitAsync(this ServerSession s)
    {
        await s.ExpectAsync("QUIT");
        await s.WriteLineAsync("221 bye");
    }

    public static EnvelopeAddress A(string s) => EnvelopeAddress.Parse(s);

    /// <summary>A message of <paramref name="size"/> bytes of 78-character CRLF lines, some starting with a dot.</summary>
    public static byte[] Message(int size)
    {
        var sb = new StringBuilder(size + 100);
        var i = 0;
        while (sb.Length < size)
        {
            var line = (i++ % 7 == 0 ? "." : "") + i.ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(76, 'x');
            sb.Append(line).Append("\r\n");
        }
        var bytes = Encoding.ASCII.GetBytes(sb.ToString());
        // Cut to the size at a line end: pad the last line instead.
        var cut = bytes.AsSpan(0, size).ToArray();
        cut[^2] = (byte)'\r';
        cut[^1] = (byte)'\n';
        if (cut.Length > 2 && cut[^3] == '\r')
        {
            cut[^3] = (byte)'y';
        }
        return cut;
    }
}

/// <summary>A stream of <c>length</c> bytes of CRLF lines, generated as it is read: large messages without large arrays.</summary>
internal sealed class GeneratedMessageStream(long length) : Stream
{
    private static readonly byte[] Line = Encoding.ASCII.GetBytes(new string('z', 62) + "\r\n");
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _position);
        for (var i = 0; i < n; i++)
        {
            // The last two bytes are always CRLF, as every line ends in it (length a multiple of 64).
            buffer[offset + i] = Line[(int)((_position + i) % Line.Length)];
        }
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Counts the client's writes to the connection: one per flight of pipelined commands.</summary>
internal sealed class WriteCountingStream(Stream inner) : Stream
{
    public int Writes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Writes);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
