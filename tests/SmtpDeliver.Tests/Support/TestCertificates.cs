using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Tests.Support;

/// <summary>Certificates made in the test process; nothing is read from disk.</summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> MoxExample = new(() => SelfSigned("mox.example", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1)));
    private static readonly Lazy<X509Certificate2> ExpiredMoxExample = new(() => SelfSigned("mox.example", DateTimeOffset.UtcNow.AddHours(-3), DateTimeOffset.UtcNow.AddHours(-1)));

    /// <summary>Self-signed for DNS name mox.example, valid now (±1 h), as mox's fakeCert.</summary>
    public static X509Certificate2 Server => MoxExample.Value;

    /// <summary>Self-signed for mox.example, expired an hour ago.</summary>
    public static X509Certificate2 Expired => ExpiredMoxExample.Value;

    /// <summary>A self-signed certificate with private key, usable by SslStream as server or client certificate.</summary>
    public static X509Certificate2 SelfSigned(string dnsName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = request.CreateSelfSigned(notBefore, notAfter);
        // Through PKCS#12 so the private key works with SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A collection with the given roots.</summary>
    public static X509Certificate2Collection Roots(params X509Certificate2[] roots) => [.. roots.Select(r => X509CertificateLoader.LoadCertificate(r.RawData))];
}
