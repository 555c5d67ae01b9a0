using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Tls;

namespace SmtpDeliver.Tests.Tls;

/// <summary>PKIX verification of a hostile server's certificate reports a failure; it never throws out of the TLS callback.</summary>
public class PkixHostileCertificateTests
{
    // Issue 11 item 12 (the PKIX side, found while fixing DANE-TA): failed before the fix with a
    // CryptographicException from MatchesHostname.
    [Theory]
    [InlineData(new byte[] { 0x04, 0x01, 0x00 })]
    [InlineData(new byte[] { 0x30, 0x05, 0x82 })]
    [InlineData(new byte[] { 0x30, 0x03, 0x82, 0x01, 0xff })]
    [InlineData(new byte[] { })]
    public void Malformed_subject_alt_name_is_a_host_mismatch(byte[] subjectAltName)
    {
        var now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mx.example.org", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension("2.5.29.17", subjectAltName, false));
        using var created = request.CreateSelfSigned(now.AddHours(-1), now.AddHours(1));
        var leaf = X509CertificateLoader.LoadCertificate(created.RawData);
        var result = PkixVerification.Verify(leaf, [leaf], "mx.example.org", [leaf]);
        Assert.False(result.Verified);
        Assert.Equal(SmtpDeliver.TlsRpt.ResultType.CertificateHostMismatch, result.ResultType);
    }
}
