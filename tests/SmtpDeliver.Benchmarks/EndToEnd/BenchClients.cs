using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Security;
using MimeKit;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Mime;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Benchmarks.EndToEnd;

/// <summary>A connected client that sends the scenario's message <c>count</c> times.</summary>
internal interface IBenchClient : IAsyncDisposable
{
    /// <summary>Sends the message <paramref name="count"/> times; throws when one is not accepted.</summary>
    Task RunAsync(int count);
}

/// <summary>What a scenario sends: the message bytes (and the same message parsed) and the recipients.</summary>
internal sealed class Workload
{
    public Workload(byte[] bytes, int recipients)
    {
        Bytes = bytes;
        Recipients = Enumerable.Range(0, recipients).Select(i => $"r{i}@sink.example").ToArray();
        Mime = MimeMessage.Load(new MemoryStream(bytes));
    }

    public byte[] Bytes { get; }
    public string[] Recipients { get; }
    public MimeMessage Mime { get; }
    public const string Sender = "s@bench.example";
}

/// <summary>
/// SmtpDeliver's <see cref="SmtpClientSession"/> on one reused connection, from bytes or from the MimeMessage; the
/// addresses parsed once, as MailKit's are (<see cref="MailKitClient"/>).
/// </summary>
internal sealed class SessionClient(SmtpClientSession session, Workload work, bool mime, MimeDeliveryOptions? mimeOptions = null) : IBenchClient
{
    private readonly EnvelopeAddress _from = EnvelopeAddress.Parse(Workload.Sender);
    private readonly EnvelopeAddress[] _to = work.Recipients.Select(EnvelopeAddress.Parse).ToArray();

    public static async Task<IBenchClient> OpenAsync(int port, bool tls, Workload work, bool mime = false, MimeDeliveryOptions? mimeOptions = null)
    {
        var session = await SmtpClientSession.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Options(tls));
        return new SessionClient(session, work, mime, mimeOptions);
    }

    public static SmtpSessionOptions Options(bool tls) => new()
    {
        TlsMode = tls ? TlsMode.RequiredStartTls : TlsMode.None,
        EnforcePkix = false,
        EhloHostname = Domain.Parse("bench.example"),
        RemoteHostname = Domain.Parse("mx.bench.example"),
    };

    public async Task RunAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var responses = mime
                ? await session.DeliverMessageAsync(work.Mime, _from, _to, mimeOptions)
                : await session.DeliverMultipleAsync(_from, _to, work.Bytes.Length, new MemoryStream(work.Bytes, writable: false));
            if (!responses.All(r => r.IsSuccess))
            {
                throw new InvalidOperationException("SmtpDeliver: not accepted: " + responses.First(r => !r.IsSuccess).Line);
            }
        }
    }

    public ValueTask DisposeAsync() => session.DisposeAsync();
}

/// <summary>MailKit 4 as users use it (ConnectAsync(host, port, options); SendAsync), or with a socket connected with NoDelay.</summary>
internal sealed class MailKitClient(MailKit.Net.Smtp.SmtpClient client, Workload work) : IBenchClient
{
    private readonly MailboxAddress _from = MailboxAddress.Parse(Workload.Sender);
    private readonly List<MailboxAddress> _to = work.Recipients.Select(MailboxAddress.Parse).ToList();

    public static async Task<MailKit.Net.Smtp.SmtpClient> ConnectAsync(int port, bool tls, bool noDelay)
    {
        var client = new MailKit.Net.Smtp.SmtpClient { LocalDomain = "bench.example", ServerCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject == "CN=mx.bench.example" };
        var options = tls ? SecureSocketOptions.StartTls : SecureSocketOptions.None;
        if (noDelay)
        {
            // MailKit leaves Nagle on for sockets it creates; ConnectAsync(Socket, ...) takes one already connected.
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port);
            await client.ConnectAsync(socket, "127.0.0.1", port, options);
        }
        else
        {
            await client.ConnectAsync("127.0.0.1", port, options);
        }
        return client;
    }

    public static async Task<IBenchClient> OpenAsync(int port, bool tls, Workload work, bool noDelay) =>
        new MailKitClient(await ConnectAsync(port, tls, noDelay), work);

    public async Task RunAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await client.SendAsync(work.Mime, _from, _to);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await client.DisconnectAsync(true);
        client.Dispose();
    }
}

/// <summary>
/// The ceiling: a raw socket speaking just enough SMTP, the envelope and "BDAT n LAST" with the same bytes in
/// one write (RFC 3030 2), then reading the three replies. No checks, no copies, no parsing beyond reply ends.
/// </summary>
/// <remarks>
/// Chunked: the same framing SmtpDeliver sends (64 KiB "BDAT n" chunks, the last with LAST) prepared in one
/// buffer before timing, written in one call while the per-chunk replies are read concurrently.
/// </remarks>
internal sealed class RawClient(Socket socket, Workload work, bool chunked) : IBenchClient
{
    private readonly byte[] _buffer = new byte[4096];
    private (byte[] Bytes, int Chunks)? _framed;

    private (byte[] Bytes, int Chunks) Frame(byte[] envelope)
    {
        var framed = new MemoryStream();
        framed.Write(envelope);
        var chunks = 0;
        for (var offset = 0; offset < work.Bytes.Length; offset += BdatWriter.ChunkSize, chunks++)
        {
            var length = Math.Min(BdatWriter.ChunkSize, work.Bytes.Length - offset);
            framed.Write(Encoding.ASCII.GetBytes($"BDAT {length}{(offset + length == work.Bytes.Length ? " LAST" : "")}\r\n"));
            framed.Write(work.Bytes, offset, length);
        }
        return (framed.ToArray(), chunks);
    }

    public static async Task<IBenchClient> OpenAsync(int port, Workload work, bool chunked)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var client = new RawClient(socket, work, chunked);
        if (chunked)
        {
            client._framed = client.Frame(Encoding.ASCII.GetBytes($"MAIL FROM:<{Workload.Sender}>\r\n" + string.Concat(work.Recipients.Select(r => $"RCPT TO:<{r}>\r\n"))));
        }
        await client.ReadRepliesAsync(1);
        await socket.SendAsync("EHLO bench.example\r\n"u8.ToArray());
        await client.ReadRepliesAsync(1);
        return client;
    }

    public async Task RunAsync(int count)
    {
        var envelope = Encoding.ASCII.GetBytes($"MAIL FROM:<{Workload.Sender}>\r\n" + string.Concat(work.Recipients.Select(r => $"RCPT TO:<{r}>\r\n")));
        if (chunked)
        {
            var (bytes, chunks) = _framed ??= Frame(envelope);
            for (var i = 0; i < count; i++)
            {
                var replies = ReadRepliesAsync(1 + work.Recipients.Length + chunks);
                await socket.SendAsync(bytes);
                await replies;
            }
            return;
        }
        var bdat = Encoding.ASCII.GetBytes($"BDAT {work.Bytes.Length} LAST\r\n");
        for (var i = 0; i < count; i++)
        {
            await socket.SendAsync(new List<ArraySegment<byte>> { envelope, bdat, work.Bytes });
            await ReadRepliesAsync(2 + work.Recipients.Length);
        }
    }

    // Counts final reply lines ("250 ", not "250-"); the sink never splits a line's start across reads in practice,
    // and a wrong count would show as a hang, not as a wrong result.
    private async Task ReadRepliesAsync(int replies)
    {
        var atLineStart = true;
        var position = 0;
        while (replies > 0)
        {
            var n = await socket.ReceiveAsync(_buffer);
            if (n == 0)
            {
                throw new IOException("raw: connection closed");
            }
            for (var i = 0; i < n; i++)
            {
                if (atLineStart)
                {
                    position = 0;
                    atLineStart = false;
                }
                if (position == 0 && _buffer[i] != '2')
                {
                    throw new IOException("raw: refused");
                }
                if (position == 3 && _buffer[i] == ' ')
                {
                    replies--;
                }
                position++;
                if (_buffer[i] == '\n')
                {
                    atLineStart = true;
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The queue path: a <see cref="Deliverer"/> resolving bench.example's MX to the loopback sink through an
/// <see cref="InMemoryResolver"/>; <c>parallel</c> deliveries in flight at once; connection reuse on or off.
/// No MTA-STS, no DANE: STARTTLS is opportunistic and PKIX is recorded, not enforced.
/// </summary>
internal sealed class DelivererClient(Deliverer deliverer, Workload work, int parallel) : IBenchClient
{
    private readonly DeliveryRequest _request = new()
    {
        MailFrom = EnvelopeAddress.Parse(Workload.Sender),
        Recipients = work.Recipients.Select(r => EnvelopeAddress.Parse(r.Replace("sink.example", "bench.example", StringComparison.Ordinal))).ToArray(),
        Size = work.Bytes.Length,
        OpenMessage = () => new MemoryStream(work.Bytes, writable: false),
    };

    public static IBenchClient Open(int port, Workload work, int parallel, bool reuse)
    {
        var resolver = new InMemoryResolver
        {
            Mx = { ["bench.example."] = [new MxRecord("mx.bench.example.", 10)] },
            A = { ["mx.bench.example."] = ["127.0.0.1"] },
        };
        var dialer = new Dialer { Connect = (remote, local, ct) => Dialer.ConnectDirectAsync(new IPEndPoint(remote.Address, port), local, ct) };
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.bench.example"),
            Dialer = dialer,
            UseMtaSts = false,
            ConnectionReuse = reuse ? ConnectionReuseOptions.Default : ConnectionReuseOptions.Disabled,
        });
        return new DelivererClient(deliverer, work, parallel);
    }

    public async Task RunAsync(int count)
    {
        var next = -1;
        var workers = Enumerable.Range(0, Math.Min(parallel, count)).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var outcome = await deliverer.DeliverAsync(_request);
                if (outcome.Recipients.Any(r => r.Status != RecipientStatus.Delivered))
                {
                    throw new InvalidOperationException("Deliverer: not delivered: " + outcome.Recipients.First(r => r.Status != RecipientStatus.Delivered).Error);
                }
            }
        });
        await Task.WhenAll(workers);
    }

    public ValueTask DisposeAsync() => deliverer.DisposeAsync();
}
