using System.Net.Security;
using System.Net.Sockets;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>
/// The limits of an MTA-STS policy fetch (RFC 8461 3.3): a byte cap and one deadline over the whole fetch,
/// and a brief negative cache so a failing domain is not fetched for every delivery. The policy host is a
/// small HTTPS server on loopback whose responses each test writes byte for byte.
/// </summary>
public sealed class MtaStsFetchLimitTests
{
    private const string Policy = "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 86400\n";

    /// <summary>An HTTPS server on loopback: reads each request head, then lets the test write the response.</summary>
    private sealed class PolicyHost : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;
        private int _requests;

        public PolicyHost(X509Certificate2 certificate, Func<Stream, CancellationToken, Task> respond)
        {
            _listener.Start();
            _run = Task.Run(async () =>
            {
                var sessions = new List<Task>();
                try
                {
                    while (true)
                    {
                        var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                        sessions.Add(ServeAsync(client, certificate, respond));
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    // Stopped.
                }
                await Task.WhenAll(sessions);
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Requests => Volatile.Read(ref _requests);

        /// <summary>Bytes of response body the server managed to write.</summary>
        public long BodyBytesSent;

        private async Task ServeAsync(TcpClient client, X509Certificate2 certificate, Func<Stream, CancellationToken, Task> respond)
        {
            using var _ = client;
            try
            {
                await using var ssl = new SslStream(client.GetStream(), false);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ServerCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
                }, _stop.Token);
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await ssl.ReadAsync(one, _stop.Token) == 0)
                    {
                        return;
                    }
                    head.Append((char)one[0]);
                }
                Interlocked.Increment(ref _requests);
                await respond(ssl, _stop.Token);
            }
            catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or SocketException)
            {
                // The client went away.
            }
        }

        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            await _stop.CancelAsync();
            _listener.Stop();
            await _run.WaitAsync(TimeSpan.FromSeconds(15));
            _stop.Dispose();
        }
    }

    private static readonly X509Certificate2 Certificate = TestCertificates.SelfSigned("mta-sts.example.test", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));

    private static InMemoryResolver Zone(string id = "1") => new()
    {
        A = { ["mta-sts.example.test."] = ["127.0.0.1"] },
        Txt = { ["_mta-sts.example.test."] = [$"v=STSv1; id={id}"] },
    };

    private static MtaStsPolicySource Source(InMemoryResolver zone, PolicyHost host, TimeSpan? fetchTimeout = null) => new(zone)
    {
        HttpsPort = host.Port,
        RootCertificates = TestCertificates.Roots(Certificate),
        FetchTimeout = fetchTimeout ?? TimeSpan.FromSeconds(30),
    };

    private static Task WriteAsync(Stream s, string text, CancellationToken ct) => s.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask();

    // Issue 11 item 6: failed before the fix (the whole chunked body was read and then rejected as an invalid policy).
    [Fact]
    public async Task Chunked_body_over_the_cap_fails_without_reading_it_all()
    {
        const long total = 32L * 1024 * 1024;
        PolicyHost? hostRef = null;
        await using var host = new PolicyHost(Certificate, async (s, ct) =>
        {
            await WriteAsync(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", ct);
            var chunk = Encoding.ASCII.GetBytes("10000\r\n" + new string('a', 0x10000) + "\r\n");
            for (long sent = 0; sent < total; sent += 0x10000)
            {
                await s.WriteAsync(chunk, ct);
                Interlocked.Add(ref hostRef!.BodyBytesSent, 0x10000);
            }
            await WriteAsync(s, "0\r\n\r\n", ct);
        });
        hostRef = host;

        var lookup = await Source(Zone(), host).GetAsync(Domain.Parse("example.test")).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Null(lookup.Policy);
        Assert.Equal((ResultType.StsPolicyFetchError, "policy-too-large"), (lookup.Failure?.ResultType, lookup.Failure?.FailureReasonCode));
        await host.DisposeAsync();
        Assert.True(Interlocked.Read(ref host.BodyBytesSent) < total / 2, $"server sent {host.BodyBytesSent} bytes");
    }

    // Issue 11 item 6: failed before the fix (FetchTimeout did not cover the body, so the trickle was read for 40 s).
    [Fact]
    public async Task Trickled_body_hits_the_fetch_deadline()
    {
        await using var host = new PolicyHost(Certificate, async (s, ct) =>
        {
            await WriteAsync(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\n\r\n", ct);
            for (var i = 0; i < 200; i++)
            {
                await WriteAsync(s, "a", ct);
                await Task.Delay(200, ct);
            }
        });

        // The safety net only keeps a broken implementation from hanging the test run.
        var lookup = await Source(Zone(), host, TimeSpan.FromSeconds(1)).GetAsync(Domain.Parse("example.test")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(lookup.Policy);
        Assert.Equal((ResultType.StsPolicyFetchError, "timeout"), (lookup.Failure?.ResultType, lookup.Failure?.FailureReasonCode));
    }

    // Issue 11 item 6: failed before the fix (every lookup of the failing domain fetched again).
    [Fact]
    public async Task Failed_fetch_is_cached_briefly_and_a_cached_policy_still_applies()
    {
        var fail = false;
        await using var host = new PolicyHost(Certificate, (s, ct) => fail
            ? WriteAsync(s, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", ct)
            : WriteAsync(s, $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Policy.Length}\r\nConnection: close\r\n\r\n{Policy}", ct));
        var zone = Zone("1");
        var source = Source(zone, host);

        var first = await source.GetAsync(Domain.Parse("example.test"));
        Assert.Equal(MtaStsMode.Enforce, first.Policy?.Mode);
        Assert.Equal(1, host.Requests);

        // A new policy id: the policy is fetched again, and that fails.
        fail = true;
        zone.Txt["_mta-sts.example.test."] = ["v=STSv1; id=2"];
        var second = await source.GetAsync(Domain.Parse("example.test"));
        var third = await source.GetAsync(Domain.Parse("example.test"));

        Assert.Equal(2, host.Requests);
        foreach (var lookup in new[] { second, third })
        {
            // RFC 8461 5.1: the cached, unexpired policy still applies.
            Assert.Equal((MtaStsMode.Enforce, "1"), (lookup.Policy?.Mode, lookup.Id));
            Assert.Equal((ResultType.StsPolicyFetchError, "http-status-404"), (lookup.Failure?.ResultType, lookup.Failure?.FailureReasonCode));
        }
    }

    // Issue 11 item 6: failed before the fix (two HTTP requests).
    [Fact]
    public async Task Failing_domain_without_a_cached_policy_is_fetched_once_within_the_negative_cache_time()
    {
        await using var host = new PolicyHost(Certificate, (s, ct) => WriteAsync(s, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", ct));
        var source = Source(Zone(), host);

        var first = await source.GetAsync(Domain.Parse("example.test"));
        var second = await source.GetAsync(Domain.Parse("example.test"));

        Assert.Equal(1, host.Requests);
        Assert.Null(second.Policy);
        Assert.Equal(first.Failure, second.Failure);
        Assert.Equal("http-status-500", second.Failure?.FailureReasonCode);
    }

    [Fact]
    public async Task Failure_cache_can_be_turned_off()
    {
        await using var host = new PolicyHost(Certificate, (s, ct) => WriteAsync(s, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", ct));
        var source = new MtaStsPolicySource(Zone())
        {
            HttpsPort = host.Port,
            RootCertificates = TestCertificates.Roots(Certificate),
            FetchFailureCacheTime = TimeSpan.Zero,
        };

        await source.GetAsync(Domain.Parse("example.test"));
        await source.GetAsync(Domain.Parse("example.test"));

        Assert.Equal(2, host.Requests);
    }

    [Fact]
    public void Failure_cache_holds_a_bounded_number_of_domains()
    {
        var cache = new MtaStsFailureCache(100);
        var now = DateTimeOffset.UtcNow;
        var failure = FailureDetails.Of(ResultType.StsPolicyFetchError, "timeout");
        for (var i = 0; i < 1000; i++)
        {
            cache.Store(Domain.Parse($"d{i}.example"), failure, now.AddMinutes(5).AddSeconds(i), now);
        }

        Assert.InRange(cache.Count, 1, 100);
        // The newest entries are kept; expired ones are not returned.
        Assert.True(cache.TryGet(Domain.Parse("d999.example"), now, out _));
        Assert.False(cache.TryGet(Domain.Parse("d0.example"), now, out _));
        Assert.False(cache.TryGet(Domain.Parse("d999.example"), now.AddHours(1), out _));
    }

    // Issue 11 item 6: failed before the fix (a cancelled delivery was reported as a policy fetch "timeout").
    [Fact]
    public async Task Cancelled_fetch_throws_instead_of_reporting_a_timeout()
    {
        using var cancel = new CancellationTokenSource();
        await using var host = new PolicyHost(Certificate, async (s, ct) =>
        {
            await WriteAsync(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\n\r\na", ct);
            await cancel.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var source = Source(Zone(), host);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.GetAsync(Domain.Parse("example.test"), cancel.Token).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    // Issue 11 item 5: failed before the fix (the policy host's certificate made the chain builder fetch its AIA URL).
    [Fact]
    public async Task Policy_host_certificate_urls_are_not_fetched()
    {
        using var recorder = new SmtpDeliver.Tests.Tls.CertificateFetchTests.ConnectionRecorder();
        var pki = SmtpDeliver.Tests.Tls.CertificateFetchTests.MakePki(recorder.BaseUrl, "mta-sts.example.test");
        await using var host = new PolicyHost(pki.Leaf, (s, ct) => WriteAsync(s, $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Policy.Length}\r\n\r\n{Policy}", ct));
        var source = new MtaStsPolicySource(Zone()) { HttpsPort = host.Port, RootCertificates = TestCertificates.Roots(pki.Root) };

        var lookup = await source.GetAsync(Domain.Parse("example.test"));

        // Only the leaf is sent, the intermediate is not fetched: the chain is not trusted.
        Assert.Equal(ResultType.StsWebPkiInvalid, lookup.Failure?.ResultType);
        Assert.Equal(0, recorder.Connections);
    }
}
