using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;
using SmtpDeliver.Tls;

namespace SmtpDeliver.Tests.Session;

/// <summary>
/// Issue 12: every deadline runs on the configured <see cref="TimeProvider"/>, so these tests make timeouts
/// happen by advancing a <see cref="FakeTimeProvider"/> instead of waiting. The only real-time bound is a
/// safety net on awaiting a task that must already be ending.
/// Each failed before issue 12: the client measured time with Stopwatch and system timers, so advancing the
/// fake clock fired nothing (the token stayed uncancelled, the session kept going, the certificate stayed valid).
/// </summary>
public class FakeClockTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(30);

    private static SmtpSessionOptions Options(FakeTimeProvider clock, SmtpTimeouts timeouts) => new()
    {
        TimeProvider = clock,
        Timeouts = timeouts,
        TlsMode = TlsMode.None,
        EhloHostname = Domain.Parse("localhost"),
    };

    // RFC 5321 4.5.3.2.1: the greeting has its own timeout (5 minutes by default).
    [Fact]
    public async Task A_greeting_that_never_comes_times_out_when_the_clock_passes_the_greeting_timeout()
    {
        var clock = new FakeTimeProvider();
        await using var connection = new ScriptedConnection();
        var connect = SmtpClientSession.ConnectAsync(connection, Options(clock, SmtpTimeouts.Default));

        // The client waits for the greeting: its read is armed with the greeting deadline.
        var read = await connection.NextReadAsync().AsTask().WaitAsync(SafetyNet);
        clock.Advance(SmtpTimeouts.Default.Greeting - TimeSpan.FromSeconds(1));
        Assert.False(read.IsCancellationRequested, "the greeting deadline fired early");
        Assert.False(connect.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(read.IsCancellationRequested, "the greeting deadline did not fire on the fake clock");
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await connect.WaitAsync(SafetyNet));
        Assert.Equal((SmtpErrorReason.Timeout, SmtpCommand.Greeting), (e.Reason, e.Command));
    }

    // One deadline per reply (architecture difference 3): a server trickling a byte per (fake) second
    // cannot stretch a 10-second greeting deadline, however fresh each single read is.
    [Fact]
    public async Task A_trickled_reply_has_one_deadline_on_the_fake_clock()
    {
        var clock = new FakeTimeProvider();
        await using var connection = new ScriptedConnection();
        var timeouts = SmtpTimeouts.All(TimeSpan.FromMinutes(5)) with { Greeting = TimeSpan.FromSeconds(10) };
        var connect = SmtpClientSession.ConnectAsync(connection, Options(clock, timeouts));

        var greeting = Encoding.ASCII.GetBytes("220 mx.example a greeting sent one byte a second\r\n");
        var sent = 0;
        while (true)
        {
            var read = await connection.NextReadAsync().AsTask().WaitAsync(SafetyNet);
            clock.Advance(TimeSpan.FromSeconds(1));
            if (read.IsCancellationRequested)
            {
                break;
            }
            Assert.True(sent < greeting.Length, "the whole greeting came without the reply deadline firing");
            connection.Send(greeting.AsSpan(sent++, 1).ToArray());
        }
        // The read waiting at second 9 is cut at second 10: nine bytes came, one a second, and no more.
        Assert.Equal(9, sent);
        var e = await Assert.ThrowsAsync<SmtpException>(async () => await connect.WaitAsync(SafetyNet));
        Assert.Equal((SmtpErrorReason.Timeout, SmtpCommand.Greeting), (e.Reason, e.Command));
        Assert.Contains("within 10s", e.Message, StringComparison.Ordinal);
    }

    // DeliveryOptions.DeliveryTimeout bounds the whole attempt, counted from its start on the deliverer's clock:
    // DNS took one (fake) second, and the connection attempt still ends 60 s after the start, not 61.
    [Fact]
    public async Task Delivery_timeout_runs_on_the_fake_clock()
    {
        var clock = new FakeTimeProvider();
        var connectToken = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var resolver = new SlowMxResolver(
            new InMemoryResolver { Mx = { ["example.org."] = [new MxRecord("mx.example.org.", 10)] }, A = { ["mx.example.org."] = ["127.0.0.1"] } },
            clock, TimeSpan.FromSeconds(1));
        var deliverer = new Deliverer(new DeliveryOptions
        {
            Resolver = resolver,
            EhloHostname = Domain.Parse("client.example"),
            UseMtaSts = false,
            DeliveryTimeout = TimeSpan.FromSeconds(60),
            TimeProvider = clock,
            // A connection attempt that never ends by itself; the dialer is used on the deliverer's clock.
            Dialer = new Dialer
            {
                Connect = async (_, _, ct) =>
                {
                    connectToken.TrySetResult(ct);
                    await Task.Delay(Timeout.Infinite, ct);
                    throw new InvalidOperationException("not reached");
                },
            },
        });
        var message = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();
        var delivery = deliverer.DeliverAsync(new DeliveryRequest
        {
            MailFrom = EnvelopeAddress.Parse("a@client.example"),
            Recipients = [EnvelopeAddress.Parse("r@example.org")],
            OpenMessage = () => new MemoryStream(message),
            Size = message.Length,
        });

        var token = await connectToken.Task.WaitAsync(SafetyNet);
        clock.Advance(TimeSpan.FromSeconds(59) - TimeSpan.FromMilliseconds(1));
        Assert.False(token.IsCancellationRequested, "the delivery deadline fired early");
        Assert.False(delivery.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(token.IsCancellationRequested, "the delivery deadline did not fire on the fake clock");
        var outcome = await delivery.WaitAsync(SafetyNet);
        var recipient = Assert.Single(outcome.Recipients);
        Assert.Equal((RecipientStatus.Transient, "delivery deadline passed"), (recipient.Status, recipient.Error));
    }

    // RFC 5280 6.1.3 (a)(2): validity is checked at "now", which is the provider's.
    [Fact]
    public void Pkix_checks_validity_at_the_providers_now()
    {
        var realNow = DateTimeOffset.UtcNow;
        using var leaf = TestCertificates.SelfSigned("mx.example.org", realNow.AddDays(-1), realNow.AddDays(30));
        var roots = TestCertificates.Roots(leaf);

        Assert.True(PkixVerification.Verify(leaf, [leaf], "mx.example.org", roots).Verified);
        Assert.True(PkixVerification.Verify(leaf, [leaf], "mx.example.org", roots, new FakeTimeProvider(realNow)).Verified);

        // Valid now, expired at the fake "now" (and not yet valid at an earlier one).
        var expired = PkixVerification.Verify(leaf, [leaf], "mx.example.org", roots, new FakeTimeProvider(realNow.AddDays(60)));
        Assert.Equal((false, SmtpDeliver.TlsRpt.ResultType.CertificateExpired), (expired.Verified, expired.ResultType));
        var early = PkixVerification.Verify(leaf, [leaf], "mx.example.org", roots, new FakeTimeProvider(realNow.AddDays(-10)));
        Assert.Equal((false, SmtpDeliver.TlsRpt.ResultType.CertificateExpired), (early.Verified, early.ResultType));

        // And the other way round: expired now, valid at a fake "now" in its validity period.
        using var old = TestCertificates.SelfSigned("mx.example.org", realNow.AddDays(-30), realNow.AddDays(-20));
        Assert.False(PkixVerification.Verify(old, [old], "mx.example.org", TestCertificates.Roots(old)).Verified);
        Assert.True(PkixVerification.Verify(old, [old], "mx.example.org", TestCertificates.Roots(old), new FakeTimeProvider(realNow.AddDays(-25))).Verified);
    }

    [Fact]
    public void A_provider_bound_timer_source_can_be_reused_or_replaced()
    {
        // DeadlineStream reuses its timers with TryReset: on the system clock that works as before; on another
        // provider TryReset reports false and a new source is made, so both ways a timer fires on its own clock.
        using var system = new CancellationTokenSource(Timeout.InfiniteTimeSpan, TimeProvider.System);
        system.CancelAfter(TimeSpan.FromMinutes(5));
        Assert.True(system.TryReset());

        var clock = new FakeTimeProvider();
        using var fake = new CancellationTokenSource(Timeout.InfiniteTimeSpan, clock);
        fake.CancelAfter(TimeSpan.FromSeconds(5));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(fake.IsCancellationRequested);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(fake.IsCancellationRequested);
    }

    /// <summary>
    /// A connection whose incoming bytes the test sends, and which tells the test each time the client waits
    /// for bytes (with the token of that read, so the test sees when a deadline cancels it). Writes are dropped.
    /// </summary>
    private sealed class ScriptedConnection : Stream
    {
        private readonly Channel<byte[]> _incoming = Channel.CreateUnbounded<byte[]>();
        private readonly Channel<CancellationToken> _reads = Channel.CreateUnbounded<CancellationToken>();
        private ReadOnlyMemory<byte> _pending;

        public void Send(byte[] bytes) => _incoming.Writer.TryWrite(bytes);

        /// <summary>The token of the next read that had to wait for bytes.</summary>
        public ValueTask<CancellationToken> NextReadAsync() => _reads.Reader.ReadAsync();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_pending.IsEmpty)
            {
                _reads.Writer.TryWrite(cancellationToken);
                _pending = await _incoming.Reader.ReadAsync(cancellationToken);
            }
            var n = Math.Min(buffer.Length, _pending.Length);
            _pending[..n].CopyTo(buffer);
            _pending = _pending[n..];
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush()
        {
        }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A resolver whose MX lookups take <paramref name="delay"/> on the fake clock.</summary>
    private sealed class SlowMxResolver(IDnsResolver inner, FakeTimeProvider clock, TimeSpan delay) : IDnsResolver
    {
        public Task<DnsResult<string>> LookupCnameAsync(string name, CancellationToken cancellationToken) => inner.LookupCnameAsync(name, cancellationToken);

        public Task<DnsResult<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken)
        {
            clock.Advance(delay);
            return inner.LookupMxAsync(name, cancellationToken);
        }

        public Task<DnsResult<IPAddress>> LookupIPAsync(AddressFamilyFilter family, string name, CancellationToken cancellationToken) => inner.LookupIPAsync(family, name, cancellationToken);
        public Task<DnsResult<TlsaRecord>> LookupTlsaAsync(string name, CancellationToken cancellationToken) => inner.LookupTlsaAsync(name, cancellationToken);
        public Task<DnsResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken) => inner.LookupTxtAsync(name, cancellationToken);
    }
}
