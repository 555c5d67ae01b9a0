using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SmtpDeliver.Testing;
using SmtpDeliver.TlsRpt;
using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>Reports posted over HTTPS (RFC 8460 5.4) to Kestrel on 127.0.0.1 with a test CA.</summary>
public sealed class ReportHttpsTests : IAsyncLifetime
{
    private const string Host = "reports.example.test";
    private WebApplication? _web;
    private int _port;
    private X509Certificate2? _ca;
    private readonly TaskCompletionSource<(string? ContentType, byte[] Body)> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private X509Certificate2 ServerCertificate()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=TLSRPT test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        _ca = X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + Host, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(Host);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, now.AddHours(-1), now.AddHours(12), RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var certificate = ServerCertificate();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        _web = builder.Build();
        _web.MapPost("/ok", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            _received.TrySetResult((context.Request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        _web.MapPost("/redirect", () => Results.Redirect("https://" + Host + "/ok"));
        _web.MapPost("/refused", () => Results.StatusCode(503));
        _web.MapPost("/big", () => Results.Text(new string('x', 1024 * 1024)));
        _web.MapPost("/slow", async (HttpContext context) =>
        {
            context.Response.StatusCode = 200;
            await context.Response.WriteAsync("a");
            await context.Response.Body.FlushAsync();
            _slowStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        await _web.StartAsync();
        _port = new Uri(_web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async Task DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
        _ca?.Dispose();
    }

    private static InMemoryResolver Zone() => new() { A = { [Host + "."] = ["127.0.0.1"] } };

    private TlsRptHttpsSender Sender(TimeProvider? time = null, bool trusted = true, bool allowLoopback = true) => new(Zone())
    {
        RootCertificates = trusted ? [_ca!] : null,
        AllowNonPublicAddresses = allowLoopback,
        TimeProvider = time ?? TimeProvider.System,
    };

    private TlsRptRua Rua(string path) => TlsRptRua.Parse($"https://{Host}:{_port}{path}");

    private static TlsRptReportFile File()
    {
        var report = new TlsRptReport
        {
            OrganizationName = "sender.example",
            DateRange = new DateRange { Start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), End = new DateTimeOffset(2026, 3, 1, 23, 59, 59, TimeSpan.Zero) },
            ReportId = "r1@sender.example",
            Policies = [new TlsRptResult(PolicyType.NoPolicyFound, "example.org").Also(r => r.Add(1, 2))],
        };
        return TlsRptReportFile.Create(report, "sender.example", "example.org", "r1");
    }

    [Fact]
    public async Task A_posted_report_arrives_as_gzip_json()
    {
        var result = await Sender().PostAsync(Rua("/ok"), File());
        Assert.True(result.Accepted, result.Detail);
        var (contentType, body) = await _received.Task;
        Assert.Equal("application/tlsrpt+gzip", contentType);
        var report = TlsRptReport.Parse(TlsRptReportFile.Decompress(body));
        Assert.Equal((1L, 2L), (report.Policies[0].Summary.TotalSuccessfulSessionCount, report.Policies[0].Summary.TotalFailureSessionCount));
    }

    [Theory]
    [InlineData("/redirect", TlsRptHttpsFailure.Redirect)]
    [InlineData("/refused", TlsRptHttpsFailure.Status)]
    [InlineData("/big", TlsRptHttpsFailure.ResponseTooLarge)]
    public async Task Redirects_errors_and_oversized_responses_are_refused(string path, TlsRptHttpsFailure failure) =>
        Assert.Equal(failure, (await Sender().PostAsync(Rua(path), File())).Failure);

    [Fact]
    public async Task A_response_that_never_ends_hits_the_deadline()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var post = Sender(clock).PostAsync(Rua("/slow"), File());
        await _slowStarted.Task;
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(TlsRptHttpsFailure.Timeout, (await post).Failure);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_refused() =>
        Assert.Equal(TlsRptHttpsFailure.Certificate, (await Sender(trusted: false).PostAsync(Rua("/ok"), File())).Failure);

    [Fact]
    public async Task A_host_resolving_to_loopback_is_refused_by_default()
    {
        Assert.Equal(TlsRptHttpsFailure.Address, (await Sender(allowLoopback: false).PostAsync(Rua("/ok"), File())).Failure);
        Assert.False(_received.Task.IsCompleted);
    }
}
