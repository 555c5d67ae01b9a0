using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Tests.Support;

/// <summary>
/// The certificates of mox's dane TestDial, made in the test: a "fake ca" (ECDSA P-256) and leaves for
/// "localhost" it signed, one valid, one expired. <see cref="CaptureAsync"/> runs a real loopback TLS
/// handshake and returns the certificates exactly as the server sent them. .NET never sends a
/// self-signed root in the chain, so the "fake ca" is an intermediate under a root that stays unsent,
/// and the server sends [leaf, fake ca] as mox's test server does.
/// </summary>
public sealed class DaneTestPki
{
    public static DaneTestPki Instance { get; } = new();

    private DaneTestPki()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=fake root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var rootWithKey = rootRequest.CreateSelfSigned(now.AddHours(-4), now.AddHours(2));
        Root = X509CertificateLoader.LoadCertificate(rootWithKey.RawData);

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=fake ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var caIssued = caRequest.Create(rootWithKey, now.AddHours(-3), now.AddHours(1), RandomNumberGenerator.GetBytes(12));
        var caWithKey = caIssued.CopyWithPrivateKey(caKey);
        Ca = X509CertificateLoader.LoadCertificate(caWithKey.RawData);
        Leaf = Issue(caWithKey, "localhost", now.AddMinutes(-30), now.AddMinutes(30));
        // Same name as the "fake ca", another key: must never be accepted as the leaf's issuer.
        using var impostorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var impostorRequest = new CertificateRequest("CN=fake ca", impostorKey, HashAlgorithmName.SHA256);
        impostorRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var impostor = impostorRequest.CreateSelfSigned(now.AddHours(-3), now.AddHours(1));
        Impostor = X509CertificateLoader.LoadCertificate(impostor.RawData);
        ExpiredLeaf = Issue(caWithKey, "localhost", now.AddHours(-2), now.AddHours(-1));
    }

    /// <summary>The self-signed root above the "fake ca"; never sent by the server.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>A CA with the "fake ca" name but another key.</summary>
    public X509Certificate2 Impostor { get; }

    /// <summary>The "fake ca" that signed the leaves; sent by the server after the leaf.</summary>
    public X509Certificate2 Ca { get; }
    public X509Certificate2 Leaf { get; }
    public X509Certificate2 ExpiredLeaf { get; }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A TLS handshake on loopback with a server sending <paramref name="leaf"/> (and the CA unless <paramref name="leafOnly"/>).</summary>
    public async Task<IReadOnlyList<X509Certificate2>> CaptureAsync(X509Certificate2 leaf, bool leafOnly = false)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var tcp = await listener.AcceptTcpClientAsync();
            await using var ssl = new SslStream(tcp.GetStream());
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(leaf, leafOnly ? null : new X509Certificate2Collection(Ca), offline: true),
            });
            _ = await ssl.ReadAsync(new byte[1]);
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var sent = new List<X509Certificate2>();
        await using (var ssl = new SslStream(client.GetStream()))
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, cert, chain, _) =>
                {
                    sent.Add(new X509Certificate2(cert!));
                    foreach (var c in chain!.ChainPolicy.ExtraStore)
                    {
                        if (!c.RawData.AsSpan().SequenceEqual(cert!.GetRawCertData()))
                        {
                            sent.Add(new X509Certificate2(c));
                        }
                    }
                    return true;
                },
            });
            await ssl.WriteAsync(new byte[] { 1 });
        }
        await server.WaitAsync(TimeSpan.FromSeconds(10));
        return sent;
    }
}
