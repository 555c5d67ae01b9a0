using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace SmtpDeliver.Dane;

/// <summary>
/// Builds and checks the chain from a server certificate up to a DANE trust anchor (RFC 7671 5.2.2),
/// which is often an intermediate CA. .NET chain building accepts only self-signed trust anchors, so the
/// path is verified here: each certificate's issuer name and signature against the next one's key, every
/// issuer below the anchor a CA, every certificate valid now.
/// </summary>
internal static class TrustAnchorChain
{
    private const int MaxDepth = 10;

    /// <summary>The error, or <c>null</c> when <paramref name="leaf"/> chains to <paramref name="anchor"/>.</summary>
    public static DaneRecordError? Verify(TlsaRecord record, X509Certificate2 leaf, X509Certificate2 anchor, IReadOnlyList<X509Certificate2> intermediates, DateTime now)
    {
        var current = leaf;
        for (var depth = 0; depth <= MaxDepth; depth++)
        {
            if (now < current.NotBefore || now > current.NotAfter)
            {
                return new DaneRecordError(record, DaneErrorKind.Expired, $"dane-ta: certificate {current.Subject} has expired or is not yet valid");
            }
            if (current.RawDataMemory.Span.SequenceEqual(anchor.RawDataMemory.Span))
            {
                return null;
            }
            if (IssuedBy(current, anchor))
            {
                current = anchor;
                continue;
            }
            var next = intermediates.FirstOrDefault(c => IsCa(c) && !c.RawDataMemory.Span.SequenceEqual(current.RawDataMemory.Span) && IssuedBy(current, c));
            if (next is null)
            {
                return new DaneRecordError(record, DaneErrorKind.ChainNotTrusted, $"dane-ta: no chain from {leaf.Subject} to the trust anchor {anchor.Subject}");
            }
            current = next;
        }
        return new DaneRecordError(record, DaneErrorKind.ChainNotTrusted, "dane-ta: chain to the trust anchor is too long");
    }

    // RFC 5280 4.2.1.9: a basicConstraints extension that cannot be decoded does not make a CA.
    private static bool IsCa(X509Certificate2 c)
    {
        try
        {
            return c.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool IssuedBy(X509Certificate2 child, X509Certificate2 issuer)
    {
        if (!child.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            return false;
        }
        try
        {
            var bcChild = new BcCertificate(child.RawData);
            var bcIssuer = new BcCertificate(issuer.RawData);
            bcChild.Verify(bcIssuer.GetPublicKey());
            return true;
        }
#pragma warning disable CA1031 // Any failure is a signature that does not verify, whatever BouncyCastle throws.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Unknown signature or key algorithm OIDs (SecurityUtilityException), unsupported parameters
            // (NotSupportedException, InvalidOperationException), certificates .NET loads but BouncyCastle
            // cannot parse, a bad signature: the certificate is not issued by this one (RFC 5280 6.1.3 (a)(1)).
            return false;
        }
    }
}
