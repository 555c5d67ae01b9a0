using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using SmtpDeliver.Names;
using SmtpDeliver.Tls;

namespace SmtpDeliver.Dane;

/// <summary>
/// Verifies the certificates a server sent against TLSA records (RFC 6698, RFC 7671, RFC 7672). The
/// records are tried in order and the first that verifies wins; errors of the others are kept.
/// </summary>
public static class DaneVerifier
{
    /// <summary>
    /// Verifies <paramref name="peerCertificates"/> (as sent by the server, leaf first) against
    /// <paramref name="records"/>.
    /// DANE-EE: the leaf matches; name and validity are not checked (RFC 7672 3.1.1).
    /// DANE-TA: a sent certificate (or a full certificate in the record) matches and is the only trust
    /// anchor for the chain, whose validity is checked, and the leaf is valid for one of the allowed
    /// names (RFC 7672 3.1.2).
    /// PKIX-TA/PKIX-EE: as DANE, plus ordinary PKIX validation with <paramref name="pkixRoots"/> (or the
    /// system roots when <c>null</c>); not usable for SMTP, but verified for other protocols.
    /// </summary>
    /// <param name="records">The TLSA records; an empty list does not verify.</param>
    /// <param name="peerCertificates">The certificates the server sent, leaf first.</param>
    /// <param name="allowedHost">The name the leaf must be valid for (DANE-TA, PKIX-*): the TLSA base domain.</param>
    /// <param name="moreAllowedHosts">Further allowed names, e.g. the MX host name before CNAME expansion (RFC 7672 3.2.2).</param>
    /// <param name="pkixRoots">Roots for the PKIX usages.</param>
    public static DaneVerification Verify(IReadOnlyList<TlsaRecord> records, IReadOnlyList<X509Certificate2> peerCertificates, Domain allowedHost, IReadOnlyList<Domain> moreAllowedHosts, X509Certificate2Collection? pkixRoots) =>
        Verify(records, peerCertificates, allowedHost, moreAllowedHosts, pkixRoots, TimeProvider.System);

    /// <summary>
    /// As <see cref="Verify(IReadOnlyList{TlsaRecord}, IReadOnlyList{X509Certificate2}, Domain, IReadOnlyList{Domain}, X509Certificate2Collection?)"/>,
    /// with "now" for the validity checks of DANE-TA chains and the PKIX usages read from <paramref name="timeProvider"/>.
    /// </summary>
    /// <param name="records">The TLSA records; an empty list does not verify.</param>
    /// <param name="peerCertificates">The certificates the server sent, leaf first.</param>
    /// <param name="allowedHost">The name the leaf must be valid for (DANE-TA, PKIX-*): the TLSA base domain.</param>
    /// <param name="moreAllowedHosts">Further allowed names, e.g. the MX host name before CNAME expansion (RFC 7672 3.2.2).</param>
    /// <param name="pkixRoots">Roots for the PKIX usages.</param>
    /// <param name="timeProvider">The clock certificate validity is checked against.</param>
    public static DaneVerification Verify(IReadOnlyList<TlsaRecord> records, IReadOnlyList<X509Certificate2> peerCertificates, Domain allowedHost, IReadOnlyList<Domain> moreAllowedHosts, X509Certificate2Collection? pkixRoots, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(peerCertificates);
        ArgumentNullException.ThrowIfNull(moreAllowedHosts);
        if (records.Count == 0)
        {
            return new DaneVerification(false, null, [new DaneRecordError(null, DaneErrorKind.NoRecords, "dane verification needs at least one tlsa record")]);
        }
        if (peerCertificates.Count == 0)
        {
            return new DaneVerification(false, null, [new DaneRecordError(null, DaneErrorKind.NoCertificate, "server sent no certificate")]);
        }
        var names = new List<string>(1 + moreAllowedHosts.Count);
        if (!allowedHost.IsEmpty)
        {
            names.Add(allowedHost.Ascii);
        }
        names.AddRange(moreAllowedHosts.Where(d => !d.IsEmpty).Select(d => d.Ascii));

        var now = PkixVerification.Now(timeProvider);
        var errors = new List<DaneRecordError>();
        foreach (var record in records)
        {
            var error = VerifyRecordSafely(record, peerCertificates, names, pkixRoots, now);
            if (error is null)
            {
                return new DaneVerification(true, record, []);
            }
            if (!ReferenceEquals(error, Mismatch))
            {
                errors.Add(error);
            }
        }
        return new DaneVerification(false, null, errors);
    }

    private static readonly DaneRecordError Mismatch = new(null, default, string.Empty);

    /// <summary>
    /// As <see cref="VerifyRecord"/>, but whatever the certificates hold, never throws: what the server sent
    /// (or a full certificate in a record) is remote input, and a record that cannot be checked is an error
    /// of that record only, so the next record is still tried (RFC 7671 5).
    /// </summary>
    private static DaneRecordError? VerifyRecordSafely(TlsaRecord record, IReadOnlyList<X509Certificate2> sent, List<string> names, X509Certificate2Collection? pkixRoots, DateTime now)
    {
        try
        {
            return VerifyRecord(record, sent, names, pkixRoots, now);
        }
#pragma warning disable CA1031 // Remote certificate content must not turn into an exception out of the TLS validation callback.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new DaneRecordError(record, DaneErrorKind.ChainNotTrusted, $"certificate could not be verified against the record: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Null when the record verifies; <see cref="Mismatch"/> for a plain mismatch; else the error.</summary>
    private static DaneRecordError? VerifyRecord(TlsaRecord record, IReadOnlyList<X509Certificate2> sent, List<string> names, X509Certificate2Collection? pkixRoots, DateTime now)
    {
        var leaf = sent[0];
        switch (record.Usage)
        {
            case TlsaUsage.DaneEe:
                return Matches(record, leaf) ? null : Mismatch;
            case TlsaUsage.PkixEe:
                if (!Matches(record, leaf))
                {
                    return Mismatch;
                }
                return Pkix(record, leaf, sent, names, pkixRoots, now, _ => true);
            case TlsaUsage.PkixTa:
                return Pkix(record, leaf, sent, names, pkixRoots, now, chain => chain.Any(c => Matches(record, c)));
            case TlsaUsage.DaneTa:
                return DaneTrustAnchor(record, leaf, sent, names, now);
            default:
                return Mismatch;
        }
    }

    private static DaneRecordError? Pkix(TlsaRecord record, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> sent, List<string> names, X509Certificate2Collection? roots, DateTime now, Func<IReadOnlyList<X509Certificate2>, bool> chainMatches)
    {
        DaneRecordError? last = null;
        foreach (var name in names.DefaultIfEmpty(string.Empty))
        {
            var pkix = PkixVerification.Verify(leaf, sent, name, roots, now, out var chain);
            if (pkix.Verified)
            {
                if (chainMatches(chain))
                {
                    return null;
                }
                last = Mismatch;
                continue;
            }
            last = new DaneRecordError(record, KindOf(pkix.ResultType), pkix.Problem);
        }
        return last;
    }

    // RFC 7672 3.1.2: the trust anchor may be any certificate the server sent, or a full certificate in the record.
    private static DaneRecordError? DaneTrustAnchor(TlsaRecord record, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> sent, List<string> names, DateTime now)
    {
        X509Certificate2? anchor = null;
        if (record is { Selector: TlsaSelector.Cert, MatchingType: TlsaMatchingType.Full })
        {
            try
            {
                anchor = X509CertificateLoader.LoadCertificate(record.Data.Span);
            }
            catch (CryptographicException)
            {
                // Not a certificate: it matches nothing.
            }
        }
        var intermediates = anchor is null ? new List<X509Certificate2>() : sent.Skip(1).ToList();
        for (var i = 0; i < sent.Count && anchor is null; i++)
        {
            if (Matches(record, sent[i]))
            {
                anchor = sent[i];
            }
            else if (i > 0)
            {
                intermediates.Add(sent[i]);
            }
        }
        if (anchor is null)
        {
            return Mismatch;
        }
        if (TrustAnchorChain.Verify(record, leaf, anchor, intermediates, now) is { } error)
        {
            return error;
        }
        if (!names.Any(n => MatchesHostname(leaf, n)))
        {
            return new DaneRecordError(record, DaneErrorKind.NameMismatch, $"dane-ta: certificate is not valid for {string.Join(" or ", names)}");
        }
        return null;
    }

    // RFC 6125 6.4: a subjectAltName that cannot be decoded names no host.
    private static bool MatchesHostname(X509Certificate2 leaf, string name)
    {
        try
        {
            return leaf.MatchesHostname(name, allowWildcards: true, allowCommonName: true);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static DaneErrorKind KindOf(string resultType) => resultType switch
    {
        TlsRpt.ResultType.CertificateExpired => DaneErrorKind.Expired,
        TlsRpt.ResultType.CertificateHostMismatch => DaneErrorKind.NameMismatch,
        _ => DaneErrorKind.ChainNotTrusted,
    };

    /// <summary>Whether the certificate matches the record's selector and matching type (RFC 6698 2.1).</summary>
    public static bool Matches(TlsaRecord record, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(certificate);
        byte[] selected;
        try
        {
            selected = record.Selector switch
            {
                TlsaSelector.Cert => certificate.RawData,
                TlsaSelector.Spki => certificate.PublicKey.ExportSubjectPublicKeyInfo(),
                _ => [],
            };
        }
        catch (CryptographicException)
        {
            // A public key the platform cannot re-encode matches no record.
            return false;
        }
        if (selected.Length == 0)
        {
            return false;
        }
        return record.MatchingType switch
        {
            TlsaMatchingType.Full => record.Data.Span.SequenceEqual(selected),
            TlsaMatchingType.Sha256 => record.Data.Span.SequenceEqual(SHA256.HashData(selected)),
            TlsaMatchingType.Sha512 => record.Data.Span.SequenceEqual(SHA512.HashData(selected)),
            _ => false,
        };
    }

    /// <summary>The TLSA record for a certificate, e.g. "3 1 1 …" for DANE-EE of its public key's SHA-256.</summary>
    public static TlsaRecord ComputeRecord(X509Certificate2 certificate, TlsaUsage usage = TlsaUsage.DaneEe, TlsaSelector selector = TlsaSelector.Spki, TlsaMatchingType matching = TlsaMatchingType.Sha256)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var selected = selector == TlsaSelector.Cert ? certificate.RawData : certificate.PublicKey.ExportSubjectPublicKeyInfo();
        var data = matching switch
        {
            TlsaMatchingType.Full => selected,
            TlsaMatchingType.Sha256 => SHA256.HashData(selected),
            TlsaMatchingType.Sha512 => SHA512.HashData(selected),
            _ => throw new ArgumentOutOfRangeException(nameof(matching), matching, "unknown tlsa matching type"),
        };
        return new TlsaRecord(usage, selector, matching, data);
    }
}
