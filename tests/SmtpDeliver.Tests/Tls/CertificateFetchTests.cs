using System.Net.Sockets;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;
using SmtpDeliver.Tls;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.Tls;

/// <summary>
/// No chain building may touch the network: the URLs a server's certificate names (AIA caIssuers, OCSP,
/// CRL distribution points) are never fetched, whether by our PKIX check, SslStream's own chain or DANE's
/// PKIX usages. The server sends its leaf without the intermediate, so a chain builder that downloads
/// would fetch the issuer from the AIA URL, which points at a loopback listener counting connections.
/// </summary>
public sealed class CertificateFetchTests
{
    /// <summary>Accepts and closes every connection on a loopback port, counting them.</summary>
    internal sealed class ConnectionRecorder : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private int _connections;

        public ConnectionRecorder()
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        using var client = await _listener.AcceptTcpClientAsync();
                        Interlocked.Increment(ref _connections);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Stopped.
                }
            });
        }

        public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

        /// <summary>Connections accepted, plus one waiting in the backlog.</summary>
        public int Connections => Volatile.Read(ref _connections) + (_listener.Pending() ? 1 : 0);

        public void Dispose() => _listener.Stop();
    }

    internal sealed record Pki(X509Certificate2 Root, X509Certificate2 Intermediate, X509Certificate2 Leaf);

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    /// <summary>Root, intermediate and leaf (for <paramref name="dnsName"/>, with its private key); leaf and intermediate name URLs under <paramref name="baseUrl"/>.</summary>
    internal static Pki MakePki(string baseUrl, string dnsName = "mox.example")
    {
        var notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        var notAfter = DateTimeOffset.UtcNow.AddHours(1);

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=fetch test root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var root = rootRequest.CreateSelfSigned(notBefore.AddHours(-1), notAfter.AddHours(1));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=fetch test intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        intermediateRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([baseUrl + "root-ocsp"], [baseUrl + "root.cer"]));
        intermediateRequest.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([baseUrl + "root.crl"]));
        using var intermediateIssued = intermediateRequest.Create(root, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        using var intermediate = intermediateIssued.CopyWithPrivateKey(intermediateKey);

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=" + dnsName, leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([baseUrl + "ocsp"], [baseUrl + "intermediate.cer"]));
        leafRequest.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([baseUrl + "intermediate.crl"]));
        using var leafIssued = leafRequest.Create(intermediate, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        using var leafWithKey = leafIssued.CopyWithPrivateKey(leafKey);

        return new Pki(
            X509CertificateLoader.LoadCertificate(root.RawData),
            X509CertificateLoader.LoadCertificate(intermediate.RawData),
            // Through PKCS#12 so SslStream can use the key.
            X509CertificateLoader.LoadPkcs12(leafWithKey.Export(X509ContentType.Pkcs12), null));
    }

    // Issue 11 item 5: failed before the fix (the chain builder fetched the leaf's AIA caIssuers URL).
    [Fact]
    public void Pkix_verification_fetches_nothing_named_in_the_certificate()
    {
        using var recorder = new ConnectionRecorder();
        var pki = MakePki(recorder.BaseUrl);
        var leaf = X509CertificateLoader.LoadCertificate(pki.Leaf.RawData);

        var custom = PkixVerification.Verify(leaf, [leaf], "mox.example", TestCertificates.Roots(pki.Root));
        var system = PkixVerification.Verify(leaf, [leaf], "mox.example", null);

        Assert.False(custom.Verified);
        Assert.False(system.Verified);
        Assert.Equal(ResultType.CertificateNotTrusted, custom.ResultType);
        Assert.Equal(0, recorder.Connections);
        // With the intermediate sent, the same chain verifies: the failure above is the missing issuer only.
        Assert.True(PkixVerification.Verify(leaf, [leaf, pki.Intermediate], "mox.example", TestCertificates.Roots(pki.Root)).Verified);
        Assert.Equal(0, recorder.Connections);
    }

    // Issue 11 item 5: failed before the fix (SslStream's chain and our PKIX check fetched the AIA URL, though PKIX was not enforced).
    [Fact]
    public async Task Tls_handshake_fetches_nothing_named_in_the_server_certificate()
    {
        using var recorder = new ConnectionRecorder();
        var pki = MakePki(recorder.BaseUrl);
        await using var server = ScriptedSmtpServer.Start(async s =>
        {
            await s.GreetUntilStartTlsAsync();
            await s.WriteLineAsync("220 go");
            // Only the leaf is sent: the intermediate is missing.
            await s.StartTlsAsync(pki.Leaf);
            await s.ExpectAsync("EHLO localhost");
            await s.WriteLineAsync("250 mox.example");
            if (await s.ReadLineAsync() == "QUIT")
            {
                await s.WriteLineAsync("221 ok");
            }
        });
        var options = new SmtpSessionOptions
        {
            RecipientDomainResult = new TlsRptResult(PolicyType.NoPolicyFound, "mox.example"),
            HostResult = new TlsRptResult(PolicyType.NoPolicyFound, "mox.example"),
            RootCertificates = TestCertificates.Roots(pki.Root),
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
        };
        await using (var client = await SmtpClientSession.ConnectAsync(await server.ConnectAsync(), options with { TlsMode = TlsMode.RequiredStartTls, EnforcePkix = false, EhloHostname = Domain.Parse("localhost"), RemoteHostname = Domain.Parse("mox.example") }))
        {
            Assert.NotNull(client.Tls);
            Assert.False(client.Pkix!.Verified);
        }
        await server.CompletionAsync();
        Assert.Equal(0, recorder.Connections);
    }

    // Issue 11 item 5: failed before the fix (the PKIX-TA/PKIX-EE chain building fetched the AIA URL).
    [Fact]
    public void Dane_pkix_usages_fetch_nothing_named_in_the_certificate()
    {
        using var recorder = new ConnectionRecorder();
        var pki = MakePki(recorder.BaseUrl);
        var leaf = X509CertificateLoader.LoadCertificate(pki.Leaf.RawData);
        TlsaRecord[] records =
        [
            DaneVerifier.ComputeRecord(leaf, TlsaUsage.PkixEe),
            DaneVerifier.ComputeRecord(pki.Root, TlsaUsage.PkixTa),
        ];

        var dane = DaneVerifier.Verify(records, [leaf], Domain.Parse("mox.example"), [Domain.Parse("mx.mox.example")], TestCertificates.Roots(pki.Root));

        Assert.False(dane.Verified);
        Assert.Equal(0, recorder.Connections);
        // With the intermediate sent, the PKIX-EE record verifies.
        Assert.True(DaneVerifier.Verify(records, [leaf, pki.Intermediate], Domain.Parse("mox.example"), [], TestCertificates.Roots(pki.Root)).Verified);
        Assert.Equal(0, recorder.Connections);
    }
}
