using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using SmtpDeliver.Dane;
using SmtpDeliver.Names;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Dane;

/// <summary>
/// The verification cases of mox's dane TestDial (inventory 8.5), over certificates captured from a real
/// loopback TLS handshake. Cases that are about DNS lookups (no records, insecure answers, CNAME
/// fallback, usage filtering before dialing) belong to the DANE dialer and are tested there.
/// </summary>
public class DaneVerifierTests
{
    private static readonly DaneTestPki Pki = DaneTestPki.Instance;
    private static readonly Domain Localhost = Domain.Parse("localhost");

    private static TlsaRecord Record(TlsaUsage u, TlsaSelector s, TlsaMatchingType m, X509Certificate2 cert) => DaneVerifier.ComputeRecord(cert, u, s, m);

    private static async Task<DaneVerification> VerifyAsync(TlsaRecord[] records, X509Certificate2? leaf = null, bool leafOnly = false, Domain? host = null, Domain[]? more = null, X509Certificate2Collection? roots = null) =>
        DaneVerifier.Verify(records, await Pki.CaptureAsync(leaf ?? Pki.Leaf, leafOnly), host ?? Localhost, more ?? [], roots ?? []);

    [Fact]
    public async Task Captured_chain_is_leaf_then_ca()
    {
        var sent = await Pki.CaptureAsync(Pki.Leaf);
        Assert.Equal([Pki.Leaf.Thumbprint, Pki.Ca.Thumbprint], sent.Select(c => c.Thumbprint));
    }

    [Theory]
    [InlineData(TlsaSelector.Spki, TlsaMatchingType.Sha256)]
    [InlineData(TlsaSelector.Spki, TlsaMatchingType.Sha512)]
    [InlineData(TlsaSelector.Spki, TlsaMatchingType.Full)]
    [InlineData(TlsaSelector.Cert, TlsaMatchingType.Sha256)]
    public async Task DaneEe_matches_the_leaf(TlsaSelector selector, TlsaMatchingType matching)
    {
        var r = Record(TlsaUsage.DaneEe, selector, matching, Pki.Leaf);
        var v = await VerifyAsync([r]);
        Assert.True(v.Verified);
        Assert.Equal(r, v.Record);
    }

    [Fact]
    public async Task DaneEe_ignores_name_and_expiry()
    {
        var v = await VerifyAsync([Record(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, Pki.ExpiredLeaf)], Pki.ExpiredLeaf, host: Domain.Parse("other.example"));
        Assert.True(v.Verified);
    }

    [Fact]
    public async Task First_verifying_record_wins_after_a_mismatching_dane_ta()
    {
        var ee = Record(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, Pki.Leaf);
        var v = await VerifyAsync([new TlsaRecord(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, new byte[32]), ee]);
        Assert.Equal(ee, v.Record);
    }

    [Theory]
    [InlineData(TlsaSelector.Cert, TlsaMatchingType.Sha256)]
    [InlineData(TlsaSelector.Cert, TlsaMatchingType.Full)]
    [InlineData(TlsaSelector.Spki, TlsaMatchingType.Sha256)]
    public async Task DaneTa_verifies_the_chain_to_the_matched_ca(TlsaSelector selector, TlsaMatchingType matching) =>
        Assert.True((await VerifyAsync([Record(TlsaUsage.DaneTa, selector, matching, Pki.Ca)])).Verified);

    [Fact]
    public async Task DaneTa_full_certificate_need_not_be_sent_by_the_server() =>
        Assert.True((await VerifyAsync([Record(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full, Pki.Ca)], leafOnly: true)).Verified);

    [Fact]
    public async Task DaneTa_allows_the_original_name_besides_the_tlsa_base_domain()
    {
        var ta = Record(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, Pki.Ca);
        Assert.True((await VerifyAsync([ta], host: Domain.Parse("example"), more: [Localhost])).Verified);
    }

    [Fact]
    public async Task DaneTa_anchor_with_the_issuer_name_but_another_key_does_not_verify()
    {
        var v = await VerifyAsync([Record(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full, Pki.Impostor)], leafOnly: true);
        Assert.False(v.Verified);
        Assert.Equal(DaneErrorKind.ChainNotTrusted, Assert.Single(v.Errors).Kind);
    }

    [Fact]
    public async Task DaneTa_checks_the_name()
    {
        var v = await VerifyAsync([Record(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, Pki.Ca)], host: Domain.Parse("example"));
        Assert.False(v.Verified);
        Assert.Equal(DaneErrorKind.NameMismatch, Assert.Single(v.Errors).Kind);
        Assert.Equal("dane-no-match+errors", v.FailureReasonCode);
    }

    [Fact]
    public async Task DaneTa_checks_expiry()
    {
        var v = await VerifyAsync([Record(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, Pki.Ca)], Pki.ExpiredLeaf);
        Assert.False(v.Verified);
        Assert.Equal(DaneErrorKind.Expired, Assert.Single(v.Errors).Kind);
    }

    [Fact]
    public async Task Mismatches_do_not_verify_and_are_not_errors()
    {
        var v = await VerifyAsync([
            new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, SHA256.HashData("other"u8)),
            new TlsaRecord(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, SHA256.HashData("other"u8)),
        ]);
        Assert.False(v.Verified);
        Assert.Empty(v.Errors);
        Assert.Equal("dane-no-match", v.FailureReasonCode);
    }

    [Fact]
    public async Task Malformed_and_unknown_records_do_not_match_but_do_not_prevent_a_valid_one()
    {
        var good = Record(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, Pki.Leaf);
        var shortHash = new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[16]);
        var unknownUsage = good with { Usage = (TlsaUsage)10 };
        var truncatedTa = new TlsaRecord(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full, Pki.Ca.RawData.AsMemory(0, 50));
        Assert.False((await VerifyAsync([shortHash])).Verified);
        Assert.False((await VerifyAsync([unknownUsage])).Verified);
        Assert.False((await VerifyAsync([truncatedTa])).Verified);
        Assert.Equal(good, (await VerifyAsync([shortHash, unknownUsage, truncatedTa, good])).Record);
    }

    [Fact]
    public async Task Pkix_usages_need_a_trusted_root()
    {
        var ee = Record(TlsaUsage.PkixEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, Pki.Leaf);
        var ta = Record(TlsaUsage.PkixTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, Pki.Ca);
        foreach (var r in new[] { ee, ta })
        {
            var untrusted = await VerifyAsync([r]);
            Assert.False(untrusted.Verified);
            Assert.Equal(DaneErrorKind.ChainNotTrusted, Assert.Single(untrusted.Errors).Kind);
            Assert.True((await VerifyAsync([r], roots: [Pki.Root])).Verified);
        }
    }

    [Fact]
    public async Task Empty_record_list_does_not_verify_and_is_an_error()
    {
        var v = await VerifyAsync([]);
        Assert.False(v.Verified);
        Assert.Equal(DaneErrorKind.NoRecords, Assert.Single(v.Errors).Kind);
    }

    [Fact]
    public void Record_presentation_form_round_trips_and_usable_filter()
    {
        var r = Record(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, Pki.Leaf);
        Assert.Equal(r, TlsaRecord.Parse(r.ToString()));
        Assert.StartsWith("3 1 1 ", r.ToString(), StringComparison.Ordinal);
        Assert.True(r.IsUsableForSmtp);
        Assert.False((r with { Usage = TlsaUsage.PkixEe }).IsUsableForSmtp);
        Assert.False(new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[31]).IsUsableForSmtp);
        Assert.False(new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha512, new byte[32]).IsUsableForSmtp);
        Assert.True(Record(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full, Pki.Ca).IsUsableForSmtp);
        Assert.False(new TlsaRecord(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full, new byte[40]).IsUsableForSmtp);
        Assert.Throws<FormatException>(() => TlsaRecord.Parse("3 1 1 xyz"));
        Assert.Throws<FormatException>(() => TlsaRecord.Parse("3 1"));
        Assert.Throws<FormatException>(() => TlsaRecord.Parse("300 1 1 00"));
    }
}
