using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmtpDeliver.Delivery;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt.Reporting;
using StackExchange.Redis;

namespace SmtpDeliver.Redis.IntegrationTests;

/// <summary>
/// Two queue workers (each its own Deliverer, multiplexer and Redis-backed state) delivering to an SmtpSink:
/// TLSRPT counts add up exactly, and an MTA-STS policy fetched by one worker protects the other's deliveries.
/// </summary>
public sealed class SharedStateDeliveryTests : IAsyncLifetime
{
    private readonly string _prefix = RedisEnvironment.UniquePrefix();
    private ConnectionMultiplexer _a = null!;
    private ConnectionMultiplexer _b = null!;
    private SmtpSink _sink = null!;
    private WebApplication? _web;
    private int _httpsPort;
    private X509Certificate2 _ca = null!;

    public async Task InitializeAsync()
    {
        (_a, _b) = (await RedisEnvironment.ConnectAsync(), await RedisEnvironment.ConnectAsync());
        _ca = NewCertificateAuthority();
        // A self-signed certificate: STARTTLS works, PKIX fails, so deliveries also count TLSRPT failure details.
        _sink = SmtpSink.Start(new SmtpSinkOptions { Extensions = new SmtpSinkOptions().Extensions | SmtpSinkExtensions.StartTls, Certificate = Issue("sink.example", selfSigned: true) });
        var builder = WebApplication.CreateSlimBuilder();
        var policyHost = Issue("mta-sts.example.test", selfSigned: false);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(policyHost)));
        _web = builder.Build();
        _web.MapGet("/.well-known/mta-sts.txt", () => Results.Text("version: STSv1\nmode: enforce\nmx: only.example.test\nmax_age: 86400\n", "text/plain"));
        await _web.StartAsync();
        _httpsPort = new Uri(_web.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async Task DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
        await _sink.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _ca.Dispose();
    }

    private static X509Certificate2 NewCertificateAuthority()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=SmtpDeliver.Redis test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(2));
    }

    private X509Certificate2 Issue(string host, bool selfSigned)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + host, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = selfSigned
            ? request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1))
            : request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(12));
        using var withKey = selfSigned ? new X509Certificate2(issued) : issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// example.test and example.net, both with their MX on the sink; example.test has an MTA-STS record whose
    /// policy host is reachable only when <paramref name="policyHostReachable"/>.
    /// </summary>
    private static InMemoryResolver Zone(bool policyHostReachable, string? stsId)
    {
        var zone = new InMemoryResolver
        {
            Mx = { ["example.test."] = [new MxRecord("mx.example.test.", 10)], ["example.net."] = [new MxRecord("mx.example.net.", 10)] },
            A = { ["mx.example.test."] = ["127.0.0.1"], ["mx.example.net."] = ["127.0.0.1"] },
        };
        if (policyHostReachable)
        {
            zone.A["mta-sts.example.test."] = ["127.0.0.1"];
        }
        if (stsId is not null)
        {
            zone.Txt["_mta-sts.example.test."] = [$"v=STSv1; id={stsId}"];
        }
        return zone;
    }

    private Deliverer Worker(InMemoryResolver zone, IMtaStsCache cache) => new(new DeliveryOptions
    {
        Resolver = zone,
        EhloHostname = Domain.Parse("worker.example.test"),
        Port = _sink.EndPoint.Port,
        Dialer = new Dialer { Connect = (remote, local, ct) => Dialer.ConnectDirectAsync(new IPEndPoint(IPAddress.Loopback, _sink.EndPoint.Port), local, ct) },
        RootCertificates = [_ca],
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(15)),
        MtaSts = new MtaStsPolicySource(zone, cache) { HttpsPort = _httpsPort, RootCertificates = [_ca] },
    });

    private static DeliveryRequest Request(string recipient)
    {
        var message = Encoding.ASCII.GetBytes("Subject: shared state\r\n\r\nhello\r\n");
        return new DeliveryRequest { MailFrom = EnvelopeAddress.Parse("sender@worker.example.test"), Recipients = [EnvelopeAddress.Parse(recipient)], OpenMessage = () => new MemoryStream(message), Size = message.Length };
    }

    [Fact]
    public async Task Tlsrpt_counts_of_two_parallel_workers_add_up_exactly()
    {
        const int PerWorker = 30;
        var reference = new TlsRptAggregator(new InMemoryTlsRptResultStore());
        var workers = new[] { _a, _b }.Select(connection =>
        {
            var options = RedisEnvironment.Options(connection, _prefix);
            return (Deliverer: Worker(Zone(policyHostReachable: false, stsId: null), new RedisMtaStsCache(options)), Aggregator: new TlsRptAggregator(new RedisTlsRptResultStore(options)));
        }).ToList();
        var day = workers[0].Aggregator.Today;

        var deliveries = workers.SelectMany((w, n) => Enumerable.Range(0, PerWorker).Select(i => (w, Recipient: i % 3 == 0 ? $"u{n}-{i}@example.net" : $"u{n}-{i}@example.test")));
        await Task.WhenAll(deliveries.Chunk(PerWorker / 3).Select(async chunk =>
        {
            foreach (var (w, recipient) in chunk)
            {
                var request = Request(recipient);
                var outcome = await w.Deliverer.DeliverAsync(request);
                Assert.Equal(RecipientStatus.Delivered, Assert.Single(outcome.Recipients).Status);
                await w.Aggregator.RecordAsync(request, outcome);
                await reference.RecordAsync(request, outcome);
            }
        }));

        Assert.Equal(2 * PerWorker, _sink.MessageCount);
        var domains = await workers[1].Aggregator.GetPolicyDomainsAsync(day);
        Assert.Equal(await reference.GetPolicyDomainsAsync(day), domains);
        Assert.Contains("example.test", domains);
        foreach (var domain in domains)
        {
            Assert.Equal(await reference.Store.GetCountersAsync(day, domain, default), await workers[0].Aggregator.Store.GetCountersAsync(day, domain, default));
        }
        var results = await workers[0].Aggregator.GetResultsAsync(day, "example.test");
        var sessions = results.Sum(r => r.Summary.TotalSuccessfulSessionCount + r.Summary.TotalFailureSessionCount);
        Assert.Equal(2 * (PerWorker - (PerWorker + 2) / 3), sessions);
        // The self-signed sink certificate is counted as a failure detail by both workers.
        Assert.Contains(results, r => r.FailureDetails.Count > 0);
    }

    [Theory]
    [InlineData("2")]
    [InlineData(null)]
    public async Task Policy_fetched_by_one_worker_protects_the_other_whose_fetch_fails(string? secondWorkerStsId)
    {
        // Worker 1 fetches the enforce policy (mx: only.example.test) and refuses mx.example.test.
        var first = await Worker(Zone(policyHostReachable: true, stsId: "1"), new RedisMtaStsCache(RedisEnvironment.Options(_a, _prefix))).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Transient, first.Recipients[0].Status);
        Assert.Equal("1", first.MtaStsPolicyId);

        // Worker 2 cannot reach the policy host (a new id that cannot be fetched, or the record stripped), yet
        // the policy from Redis still applies (RFC 8461 5.1) and mx.example.test is not used.
        var zone = Zone(policyHostReachable: false, stsId: secondWorkerStsId);
        var second = await Worker(zone, new RedisMtaStsCache(RedisEnvironment.Options(_b, _prefix))).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Transient, second.Recipients[0].Status);
        Assert.Null(Assert.Single(second.Attempts).Address);
        Assert.Contains("mta-sts", second.Attempts[0].Error, StringComparison.Ordinal);
        Assert.Equal("1", second.MtaStsPolicyId);
        Assert.Equal(0, _sink.MessageCount);

        // Without the shared policy (another fleet's prefix), the same worker delivers to that MX.
        var alone = await Worker(zone, new RedisMtaStsCache(RedisEnvironment.Options(_b, RedisEnvironment.UniquePrefix()))).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Delivered, alone.Recipients[0].Status);
        Assert.Equal(1, _sink.MessageCount);
    }

    [Fact]
    public async Task Delivery_with_redis_down_still_delivers_and_fetches_the_policy()
    {
        await using var down = await RedisEnvironment.ConnectUnreachableAsync();
        var options = RedisEnvironment.Options(down, _prefix);
        var aggregator = new TlsRptAggregator(new RedisTlsRptResultStore(options));

        var request = Request("user@example.net");
        var delivered = await Worker(Zone(policyHostReachable: true, stsId: "1"), new RedisMtaStsCache(options)).DeliverAsync(request);
        await aggregator.RecordAsync(request, delivered);
        Assert.Equal(RecipientStatus.Delivered, delivered.Recipients[0].Status);

        // MTA-STS still enforced: the cache read failed, so the policy was fetched.
        var refused = await Worker(Zone(policyHostReachable: true, stsId: "1"), new RedisMtaStsCache(options)).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Transient, refused.Recipients[0].Status);
        Assert.Equal("1", refused.MtaStsPolicyId);
    }
}
