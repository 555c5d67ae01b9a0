using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.IntegrationTests.Delivery;

/// <summary>
/// Delivery to a domain against the real Postfix: MX hosts from an in-memory DNSSEC-authentic zone whose
/// addresses are mapped to Postfix's loopback ports (127.0.0.1 → 20025, 127.0.0.2 → 20027 without
/// STARTTLS, 127.0.0.3 → 20028 with a recipient limit of 2, 127.0.0.9 → nothing listening).
/// </summary>
public class DelivererTests
{
    private static X509Certificate2 ServerCert => X509CertificateLoader.LoadCertificateFromFile(IntegrationEnvironment.Get("postfix", "SERVER_CERT"));

    private static Dialer MappedDialer() => new()
    {
        Connect = (remote, local, ct) =>
        {
            var port = remote.Address.ToString() switch
            {
                "127.0.0.1" => IntegrationEnvironment.GetInt("postfix", "SMTP_PORT"),
                "127.0.0.2" => IntegrationEnvironment.GetInt("postfix", "SMTP_NOTLS_PORT"),
                "127.0.0.3" => IntegrationEnvironment.GetInt("postfix", "SMTP_RCPTLIMIT_PORT"),
                _ => 20099,
            };
            return Dialer.ConnectDirectAsync(new IPEndPoint(IPAddress.Loopback, port), local, ct);
        },
    };

    private static InMemoryResolver Zone(Action<InMemoryResolver>? configure = null)
    {
        var r = new InMemoryResolver
        {
            AllAuthentic = true,
            Mx = { ["example.test."] = [new MxRecord("mx.example.test.", 10)] },
            A = { ["mx.example.test."] = ["127.0.0.1"] },
        };
        configure?.Invoke(r);
        return r;
    }

    private static Deliverer NewDeliverer(InMemoryResolver zone, RequireTlsPolicy policy = RequireTlsPolicy.Enforce) => new(new DeliveryOptions
    {
        Resolver = zone,
        EhloHostname = Domain.Parse("client.example.test"),
        Dialer = MappedDialer(),
        Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(15)),
        RequireTlsPolicy = policy,
    });

    private static DeliveryRequest Request(params string[] recipients)
    {
        var message = Encoding.ASCII.GetBytes($"From: <sender@client.example.test>\r\nSubject: deliverer {Guid.NewGuid():N}\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nhello\r\n");
        return new DeliveryRequest { MailFrom = EnvelopeAddress.Parse("sender@client.example.test"), Recipients = recipients.Select(EnvelopeAddress.Parse).ToList(), OpenMessage = () => new MemoryStream(message), Size = message.Length };
    }

    [Fact]
    public async Task Recipients_get_their_own_outcomes_over_opportunistic_tls()
    {
        var o = await NewDeliverer(Zone(z => z.AllAuthentic = false)).DeliverAsync(Request("user@example.test", "reject@example.test", "tempfail@example.test"));
        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Permanent, RecipientStatus.Transient], o.Recipients.Select(r => r.Status));
        Assert.Equal("untrusted", o.Attempts[^1].TlsStatus.ToString());
        Assert.Equal(1, o.HostResults[0].Summary.TotalSuccessfulSessionCount);
    }

    [Fact]
    public async Task Falls_back_to_the_next_mx_after_a_refused_connection()
    {
        var zone = Zone(z =>
        {
            z.Mx["example.test."] = [new MxRecord("down.example.test.", 10), new MxRecord("mx.example.test.", 20)];
            z.A["down.example.test."] = ["127.0.0.9"];
        });
        var o = await NewDeliverer(zone).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Delivered, Assert.Single(o.Recipients).Status);
        Assert.Equal(["down.example.test", "mx.example.test"], o.Attempts.Select(a => a.Host.Ascii));
        Assert.NotEmpty(o.Attempts[0].Error);
    }

    [Fact]
    public async Task Dane_ee_is_verified_and_reported()
    {
        var record = DaneVerifier.ComputeRecord(ServerCert);
        var o = await NewDeliverer(Zone(z => z.Tlsa["_25._tcp.mx.example.test."] = [record])).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Delivered, o.Recipients[0].Status);
        Assert.Equal(("dane", record), (o.Attempts[^1].TlsStatus.ToString(), o.Attempts[^1].VerifiedDaneRecord));
        Assert.Equal("tlsa", o.HostResults[0].Policy.Type);
    }

    [Fact]
    public async Task Dane_mismatch_is_deferred_and_never_delivered_in_plaintext()
    {
        var zone = Zone(z => z.Tlsa["_25._tcp.mx.example.test."] = [new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32])]);
        var o = await NewDeliverer(zone).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.Equal("dane-no-match", Assert.Single(o.HostResults[0].FailureDetails).FailureReasonCode);
        Assert.Equal(1, o.HostResults[0].Summary.TotalFailureSessionCount);
    }

    [Fact]
    public async Task Tlsa_but_no_starttls_is_deferred()
    {
        var zone = Zone(z =>
        {
            z.A["mx.example.test."] = ["127.0.0.2"];
            z.Tlsa["_25._tcp.mx.example.test."] = [DaneVerifier.ComputeRecord(ServerCert)];
        });
        var o = await NewDeliverer(zone).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.Contains("STARTTLS", o.Attempts[^1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bogus_tlsa_is_deferred()
    {
        var o = await NewDeliverer(Zone(z => z.Fail.Add("tlsa _25._tcp.mx.example.test."))).DeliverAsync(Request("user@example.test"));
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.Contains("dane cannot be checked", o.Recipients[0].Error, StringComparison.Ordinal);
        Assert.Null(o.Attempts[0].Address);
    }

    [Fact]
    public async Task Null_mx_is_permanent() =>
        Assert.Equal(RecipientStatus.Permanent, (await NewDeliverer(Zone(z => z.Mx["example.test."] = [new MxRecord(".", 0)])).DeliverAsync(Request("user@example.test"))).Recipients[0].Status);

    [Fact]
    public async Task Requiretls_is_refused_where_the_server_lacks_it()
    {
        var zone = Zone(z => z.Tlsa["_25._tcp.mx.example.test."] = [DaneVerifier.ComputeRecord(ServerCert)]);
        var o = await NewDeliverer(zone).DeliverAsync(Request("user@example.test") with { Requirements = DeliveryRequirements.RequireTls });
        Assert.Equal(RecipientStatus.Transient, o.Recipients[0].Status);
        Assert.Equal("requiretls:none", o.Attempts[^1].TlsStatus.ToString());
        Assert.Contains("requiretls", o.Recipients[0].Error, StringComparison.Ordinal);

        // Without verification the request cannot be met either; an opportunistic policy delivers anyway.
        var unverified = await NewDeliverer(Zone()).DeliverAsync(Request("user@example.test") with { Requirements = DeliveryRequirements.RequireTls });
        Assert.Equal("requiretls:nocertmatch", unverified.Attempts[^1].TlsStatus.ToString());
        Assert.Equal(RecipientStatus.Transient, unverified.Recipients[0].Status);
        var gentle = await NewDeliverer(Zone(), RequireTlsPolicy.Opportunistic).DeliverAsync(Request("user@example.test") with { Requirements = DeliveryRequirements.RequireTls });
        Assert.Equal(RecipientStatus.Delivered, gentle.Recipients[0].Status);
    }

    [Fact]
    public async Task Recipients_over_the_server_limit_go_in_a_further_transaction()
    {
        var o = await NewDeliverer(Zone(z => z.A["mx.example.test."] = ["127.0.0.3"])).DeliverAsync(Request("user@example.test", "rcpt1@example.test", "rcpt2@example.test", "rcpt3@example.test", "reject@example.test"));
        Assert.Equal([RecipientStatus.Delivered, RecipientStatus.Delivered, RecipientStatus.Delivered, RecipientStatus.Delivered, RecipientStatus.Permanent], o.Recipients.Select(r => r.Status));
    }
}
