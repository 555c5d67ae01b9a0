using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Dane;

/// <summary>
/// Certificates no CA would issue, as a hostile server (or a broken DNS zone) can present them: algorithms
/// BouncyCastle does not know, malformed extensions. Each is a failure of the record it concerns, never an
/// exception out of <see cref="DaneVerifier.Verify"/>, and the next record is still tried (RFC 7671 5).
/// </summary>
public class DaneHostileCertificateTests
{
    private static readonly DaneTestPki Pki = DaneTestPki.Instance;
    private static readonly Domain Localhost = Domain.Parse("localhost");

    // Made-up OIDs under a private enterprise arc: no library knows them.
    private const string UnknownSignatureAlgorithm = "1.3.6.1.4.1.55555.1.1";
    private const string UnknownKeyAlgorithm = "1.3.6.1.4.1.55555.2.1";

    private static DaneVerification Verify(TlsaRecord[] records, params X509Certificate2[] sent) =>
        DaneVerifier.Verify(records, sent, Localhost, [], []);

    private static void AssertFailsThenNextRecordVerifies(TlsaRecord hostile, X509Certificate2[] sent)
    {
        var alone = Verify([hostile], sent);
        Assert.False(alone.Verified);
        var error = Assert.Single(alone.Errors);
        Assert.Equal(hostile, error.Record);
        Assert.Equal("dane-no-match+errors", alone.FailureReasonCode);

        var ee = DaneVerifier.ComputeRecord(sent[0], TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha256);
        var both = Verify([hostile, ee], sent);
        Assert.True(both.Verified);
        Assert.Equal(ee, both.Record);
    }

    // Issue 11 item 12: failed before the fix (SecurityUtilityException escaped from BouncyCastle).
    [Fact]
    public void Dane_ta_anchor_with_an_unknown_key_algorithm_is_an_error_and_the_next_record_verifies()
    {
        var anchor = CertificateRewriter.WithKeyAlgorithm(Pki.Ca, UnknownKeyAlgorithm);
        var record = DaneVerifier.ComputeRecord(anchor, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full);
        AssertFailsThenNextRecordVerifies(record, [Pki.Leaf, Pki.Ca]);
    }

    // Issue 11 item 12: failed before the fix.
    [Fact]
    public void Sent_anchor_with_an_unknown_key_algorithm_matched_by_its_spki_is_an_error_and_the_next_record_verifies()
    {
        var anchor = CertificateRewriter.WithKeyAlgorithm(Pki.Ca, UnknownKeyAlgorithm);
        var record = DaneVerifier.ComputeRecord(anchor, TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha256);
        AssertFailsThenNextRecordVerifies(record, [Pki.Leaf, anchor]);
    }

    // Issue 11 item 12: failed before the fix (SecurityUtilityException: signer not recognised).
    [Fact]
    public void Leaf_signed_with_an_unknown_algorithm_is_an_error_of_the_dane_ta_record_and_the_next_record_verifies()
    {
        var leaf = CertificateRewriter.WithSignatureAlgorithm(Pki.Leaf, UnknownSignatureAlgorithm);
        var record = DaneVerifier.ComputeRecord(Pki.Ca, TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha256);
        AssertFailsThenNextRecordVerifies(record, [leaf, Pki.Ca]);
    }

    // Issue 11 item 12: failed before the fix.
    [Fact]
    public void Intermediate_signed_with_an_unknown_algorithm_below_the_anchor_is_an_error_and_the_next_record_verifies()
    {
        var intermediate = CertificateRewriter.WithSignatureAlgorithm(Pki.Ca, UnknownSignatureAlgorithm);
        var record = DaneVerifier.ComputeRecord(Pki.Root, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full);
        AssertFailsThenNextRecordVerifies(record, [Pki.Leaf, intermediate]);
    }

    [Fact]
    public void Dane_ta_record_matching_an_intact_chain_still_verifies()
    {
        // The control for the cases above: the same records against unaltered certificates.
        Assert.True(Verify([DaneVerifier.ComputeRecord(Pki.Root, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full)], Pki.Leaf, Pki.Ca).Verified);
        Assert.True(Verify([DaneVerifier.ComputeRecord(Pki.Ca, TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha256)], Pki.Leaf, Pki.Ca).Verified);
    }

    // Issue 11 item 12: failed before the fix.
    [Theory]
    [InlineData(new byte[] { 0x04, 0x01, 0x00 })] // not a SEQUENCE
    [InlineData(new byte[] { 0x30, 0x05, 0x82 })] // truncated
    [InlineData(new byte[] { 0x30, 0x03, 0x82, 0x01, 0xff })] // a dNSName that is not text
    [InlineData(new byte[] { })]
    public void Leaf_with_a_malformed_subject_alt_name_signed_by_the_anchor_never_throws(byte[] subjectAltName)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=hostile ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddHours(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509Extension("2.5.29.17", subjectAltName, false));
        using var leaf = leafRequest.Create(ca, now.AddMinutes(-30), now.AddMinutes(30), [1, 2, 3]);
        var record = DaneVerifier.ComputeRecord(ca, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full);
        AssertFailsThenNextRecordVerifies(record, [X509CertificateLoader.LoadCertificate(leaf.RawData)]);
    }

    // Issue 11 item 12: failed before the fix.
    [Theory]
    [InlineData("2.5.29.19", new byte[] { 0x04, 0x01, 0x00 })] // basicConstraints: not a SEQUENCE
    [InlineData("2.5.29.19", new byte[] { 0x30, 0x03, 0x01 })] // basicConstraints: truncated
    public void Intermediate_with_a_malformed_extension_never_throws(string oid, byte[] value)
    {
        var intermediate = CertificateRewriter.WithExtensionValue(Pki.Ca, oid, value);
        var record = DaneVerifier.ComputeRecord(Pki.Root, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full);
        AssertFailsThenNextRecordVerifies(record, [Pki.Leaf, intermediate]);
    }
}
