using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.IntegrationTests.Delivery;

/// <summary>
/// MTA-STS (RFC 8461) end to end: policies served by Kestrel over HTTPS on loopback with a certificate
/// from the test CA, delivery to the real Postfix (issue: deliver to a domain).
/// </summary>
public sealed class MtaStsDeliveryTests : IAsyncLifetime
{
    private WebApplication? _web;
    private int _port;
    private string _policy = "";

    private static X509Certificate2Collection Roots => [X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "CA_CERT"))];

    private static X509Certificate2 PolicyHostCertificate()
    {
        using var ca = X509Certificate2.CreateFromPemFile(IntegrationEnvironment.Get("postfix", "CA_CERT"), IntegrationEnvironment.Get("postfix", "CA_KEY"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mta-sts.example.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mta-sts.example.test");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, new DateTimeOffset(ca.NotBefore.ToUniversalTime()), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var certificate = PolicyHostCertificate();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        _web = builder.Build();
        _web.MapGet("/.well-known/mta-sts.txt", () => Results.Text(_policy, "text/plain"));
        await _web.StartAsync();
        _port = new Uri(_web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async Task DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
    }

    private static InMemoryResolver Zone(string mx, string id = "1") => new()
    {
        // Not DNSSEC-signed: MTA-STS is what protects this domain.
        Mx = { ["example.test."] = [new MxRecord(mx + ".", 10)] },
        A = { [mx + "."] = ["127.0.0.1"], ["mta-sts.example.test."] = ["127.0.0.1"] },
        Txt = { ["_mta-sts.example.test."] = [$"v=STSv1; id={id}"] },
    };

    private Deliverer NewDeliverer(InMemoryResolver zone) => new(new DeliveryOptions
    {
        Resolver = zone,
        EhloHostname = Domain.Parse("client.example.test"),
        Port = IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"),
        Dialer = new Dialer { Connect = (remote, local, ct) => Dialer.ConnectDirectAsync(new IPEndPoint(IPAddress.Loopback, remote.Port), local, ct) },
        RootCertificates = Roots,
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(15)),
        MtaSts = new MtaStsPolicySource(zone) { HttpsPort = _port, RootCertificates = Roots },
    });

    private static DeliveryRequest Request(bool requireTls = false)
    {
        var message = Encoding.ASCII.GetBytes("Subject: mta-sts\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nhello\r\n");
        return new DeliveryRequest { MailFrom = EnvelopeAddress.Parse("sender@client.example.test"), Recipients = [EnvelopeAddress.Parse("user@example.test")], OpenMessage = () => new MemoryStream(message), Size = message.Length, Requirements = requireTls ? DeliveryRequirements.RequireTls : DeliveryRequirements.None };
    }

    private const string Enforce = "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 86400\n";

    [Fact]
    public async Task Enforced_policy_delivers_with_a_verified_certificate_and_reports_sts()
    {
        _policy = Enforce;
        var o = await NewDeliverer(Zone("mx.example.test")).DeliverAsync(Request());
        Assert.Equal(RecipientStatus.Delivered, o.Recipients[0].Status);
        Assert.Equal("verified", o.Attempts[^1].TlsStatus.ToString());
        Assert.Equal(("sts", "example.test"), (o.RecipientDomainResult.Policy.Type, o.RecipientDomainResult.Policy.Domain));
        Assert.Equal(["*.example.test"], o.RecipientDomainResult.Policy.MxHost);
        Assert.Equal(1, o.RecipientDomainResult.Summary.TotalSuccessfulSessionCount);
        Assert.Equal("1", o.MtaStsPolicyId);
    }

    [Fact]
    public async Task Enforced_policy_with_a_wrong_certificate_is_deferred()
    {
        _policy = Enforce;
        var o = await NewDeliverer(Zone("wrongname.example.test")).DeliverAsync(Request());
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.Equal("certificate-host-mismatch", Assert.Single(o.RecipientDomainResult.FailureDetails).ResultType);
        Assert.Equal(1, o.RecipientDomainResult.Summary.TotalFailureSessionCount);
    }

    [Fact]
    public async Task Mx_host_outside_an_enforced_policy_is_not_used()
    {
        _policy = "version: STSv1\nmode: enforce\nmx: only.example.test\nmax_age: 86400\n";
        var o = await NewDeliverer(Zone("mx.example.test")).DeliverAsync(Request());
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.Null(Assert.Single(o.Attempts).Address);
        Assert.Contains("mta-sts", o.Attempts[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Testing_policy_reports_a_wrong_certificate_but_delivers()
    {
        _policy = "version: STSv1\nmode: testing\nmx: *.example.test\nmax_age: 86400\n";
        var o = await NewDeliverer(Zone("wrongname.example.test")).DeliverAsync(Request());
        Assert.Equal(RecipientStatus.Delivered, o.Recipients[0].Status);
        Assert.Equal("certificate-host-mismatch", Assert.Single(o.RecipientDomainResult.FailureDetails).ResultType);
    }

    [Fact]
    public async Task Invalid_policy_is_reported_and_delivery_is_opportunistic()
    {
        _policy = "version: STSv9\n";
        var o = await NewDeliverer(Zone("mx.example.test")).DeliverAsync(Request());
        Assert.Equal(RecipientStatus.Delivered, o.Recipients[0].Status);
        Assert.Equal(("no-policy-found", "sts-policy-invalid"), (o.RecipientDomainResult.Policy.Type, o.RecipientDomainResult.FailureDetails[0].ResultType));
    }

    [Fact]
    public async Task Requiretls_counts_an_enforced_policy_as_verification()
    {
        _policy = Enforce;
        var o = await NewDeliverer(Zone("mx.example.test")).DeliverAsync(Request(requireTls: true));
        // Verified by MTA-STS, but Postfix does not announce REQUIRETLS.
        Assert.Equal("requiretls:none", o.Attempts[^1].TlsStatus.ToString());
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
    }
}
