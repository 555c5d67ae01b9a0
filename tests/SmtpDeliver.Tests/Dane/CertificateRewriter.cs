using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Tests.Dane;

/// <summary>
/// Re-encodes a certificate's DER (RFC 5280 4.1) with one part replaced, to make certificates no
/// library would issue: unknown signature or key algorithms, malformed extensions. The signature is
/// kept as it was, so it no longer verifies; that is not what these certificates are for.
/// </summary>
internal static class CertificateRewriter
{
    // RFC 5280 4.1: TBSCertificate fields after the [0] version.
    private const int SignatureIndex = 2;
    private const int SubjectPublicKeyInfoIndex = 6;

    /// <summary>The certificate with <paramref name="oid"/> as its signature algorithm (in the TBSCertificate and outside it).</summary>
    public static X509Certificate2 WithSignatureAlgorithm(X509Certificate2 certificate, string oid)
    {
        var algorithm = AlgorithmIdentifier(oid);
        return Rewrite(certificate, tbs => tbs[SignatureIndex] = algorithm, algorithm);
    }

    /// <summary>The certificate with <paramref name="oid"/> as its subject public key's algorithm, the key bits unchanged.</summary>
    public static X509Certificate2 WithKeyAlgorithm(X509Certificate2 certificate, string oid) => Rewrite(certificate, tbs =>
    {
        var spki = new AsnReader(tbs[SubjectPublicKeyInfoIndex], AsnEncodingRules.DER).ReadSequence();
        _ = spki.ReadEncodedValue();
        var key = spki.ReadEncodedValue().ToArray();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(AlgorithmIdentifier(oid));
            writer.WriteEncodedValue(key);
        }
        tbs[SubjectPublicKeyInfoIndex] = writer.Encode();
    }, null);

    /// <summary>The certificate with every extension whose OID is <paramref name="oid"/> given <paramref name="value"/> as its content.</summary>
    public static X509Certificate2 WithExtensionValue(X509Certificate2 certificate, string oid, byte[] value) => Rewrite(certificate, tbs =>
    {
        for (var i = SubjectPublicKeyInfoIndex + 1; i < tbs.Count; i++)
        {
            var tag = Asn1Tag.Decode(tbs[i], out _);
            if (tag != new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true))
            {
                continue;
            }
            var extensions = new AsnReader(tbs[i], AsnEncodingRules.DER).ReadSequence(tag).ReadSequence();
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence(tag))
            using (writer.PushSequence())
            {
                while (extensions.HasData)
                {
                    var extension = extensions.ReadSequence();
                    var extensionOid = extension.ReadObjectIdentifier();
                    var critical = extension.PeekTag() == Asn1Tag.Boolean && extension.ReadBoolean();
                    var content = extension.ReadOctetString();
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(extensionOid);
                        if (critical)
                        {
                            writer.WriteBoolean(true);
                        }
                        writer.WriteOctetString(extensionOid == oid ? value : content);
                    }
                }
            }
            tbs[i] = writer.Encode();
        }
    }, null);

    private static byte[] AlgorithmIdentifier(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
        }
        return writer.Encode();
    }

    private static X509Certificate2 Rewrite(X509Certificate2 certificate, Action<List<byte[]>> changeTbs, byte[]? outerSignatureAlgorithm)
    {
        var outer = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence();
        var tbsReader = outer.ReadSequence();
        var outerAlgorithm = outer.ReadEncodedValue().ToArray();
        var signature = outer.ReadEncodedValue().ToArray();
        var tbs = new List<byte[]>();
        while (tbsReader.HasData)
        {
            tbs.Add(tbsReader.ReadEncodedValue().ToArray());
        }
        changeTbs(tbs);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                foreach (var field in tbs)
                {
                    writer.WriteEncodedValue(field);
                }
            }
            writer.WriteEncodedValue(outerSignatureAlgorithm ?? outerAlgorithm);
            writer.WriteEncodedValue(signature);
        }
        return X509CertificateLoader.LoadCertificate(writer.Encode());
    }
}
