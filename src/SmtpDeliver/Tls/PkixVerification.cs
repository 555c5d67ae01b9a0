using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmtpDeliver.Tls;

/// <summary>The outcome of PKIX verification of a server certificate.</summary>
/// <param name="Verified">True when the chain leads to a trusted root, every certificate is valid now, and the name matches.</param>
/// <param name="ResultType">The TLSRPT result type of the failure (<see cref="TlsRpt.ResultType"/>); empty when verified.</param>
/// <param name="ReasonCode">The TLSRPT failure reason code; empty when none applies.</param>
/// <param name="Problem">A human-readable description of the failure; empty when verified.</param>
public sealed record PkixVerification(bool Verified, string ResultType, string ReasonCode, string Problem)
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    /// <summary>
    /// Verifies the server certificate against <paramref name="roots"/> (or the system trust store when
    /// <c>null</c>), with the other certificates the server sent as intermediates, and checks the name
    /// when <paramref name="hostName"/> is not empty (RFC 6125, wildcards in the left-most label only).
    /// Failures are ranked as TLSRPT reports them: expired before host mismatch before untrusted.
    /// Revocation is not checked (mail servers' certificates rarely have reachable OCSP; nor does mox), and
    /// nothing is fetched: issuers the server did not send are not downloaded (<see cref="OfflineChainPolicy"/>).
    /// </summary>
    public static PkixVerification Verify(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> sentCertificates, string hostName, X509Certificate2Collection? roots) =>
        Verify(leaf, sentCertificates, hostName, roots, TimeProvider.System);

    /// <summary>
    /// As <see cref="Verify(X509Certificate2, IReadOnlyList{X509Certificate2}, string, X509Certificate2Collection?)"/>,
    /// with "now" for every certificate's validity period (RFC 5280 6.1.3 (a)(2)) read from <paramref name="timeProvider"/>.
    /// </summary>
    public static PkixVerification Verify(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> sentCertificates, string hostName, X509Certificate2Collection? roots, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return Verify(leaf, sentCertificates, hostName, roots, Now(timeProvider), out _);
    }

    /// <summary>The provider's time as a local <see cref="DateTime"/>, comparable with <see cref="X509Certificate2.NotBefore"/> and <see cref="X509Certificate2.NotAfter"/> (both local).</summary>
    internal static DateTime Now(TimeProvider timeProvider) => timeProvider.GetUtcNow().LocalDateTime;

    /// <summary>As <see cref="Verify(X509Certificate2, IReadOnlyList{X509Certificate2}, string, X509Certificate2Collection?, TimeProvider)"/> at the local time <paramref name="now"/>, also giving the chain built, leaf first.</summary>
    internal static PkixVerification Verify(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> sentCertificates, string hostName, X509Certificate2Collection? roots, DateTime now, out IReadOnlyList<X509Certificate2> chainCertificates)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(sentCertificates);
        using var chain = new X509Chain { ChainPolicy = OfflineChainPolicy() };
        var policy = chain.ChainPolicy;
        policy.ApplicationPolicy.Add(ServerAuthentication);
        policy.VerificationTime = now;
        if (roots is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(roots);
        }
        foreach (var c in sentCertificates)
        {
            if (!c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                policy.ExtraStore.Add(c);
            }
        }
        bool built;
        try
        {
            built = chain.Build(leaf);
        }
        catch (CryptographicException e)
        {
            // A certificate the platform cannot even parse: untrusted, never an exception out of the handshake.
            chainCertificates = [];
            return new PkixVerification(false, TlsRpt.ResultType.CertificateNotTrusted, string.Empty, $"certificate not trusted: {e.Message}");
        }
        chainCertificates = chain.ChainElements.Select(e => new X509Certificate2(e.Certificate)).ToList();
        var flags = X509ChainStatusFlags.NoError;
        foreach (var element in chain.ChainElements)
        {
            foreach (var s in element.ChainElementStatus)
            {
                flags |= s.Status;
            }
        }
        foreach (var s in chain.ChainStatus)
        {
            flags |= s.Status;
        }
        // The leaf's own validity period also counts when the chain could not be built at all.
        if (now < leaf.NotBefore || now > leaf.NotAfter)
        {
            flags |= X509ChainStatusFlags.NotTimeValid;
        }
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return new PkixVerification(false, TlsRpt.ResultType.CertificateExpired, string.Empty, "certificate has expired or is not yet valid");
        }
        if (hostName.Length > 0 && !MatchesHostname(leaf, hostName))
        {
            return new PkixVerification(false, TlsRpt.ResultType.CertificateHostMismatch, string.Empty, $"certificate is not valid for host name {hostName}");
        }
        if (built && flags == X509ChainStatusFlags.NoError)
        {
            return new PkixVerification(true, string.Empty, string.Empty, string.Empty);
        }
        return new PkixVerification(false, TlsRpt.ResultType.CertificateNotTrusted, ReasonFor(flags), $"certificate not trusted: {flags}");
    }

    /// <summary>
    /// A chain policy that never touches the network: no download of missing issuers from the AIA
    /// caIssuers URL (RFC 5280 4.2.2.1) and no revocation check, so neither OCSP (RFC 6960) nor CRL
    /// distribution points (RFC 5280 4.2.1.13) are fetched. A server's certificate must not make us
    /// connect where it says (blind SSRF into our network, and a stall per fetch). Used for our own chains
    /// and for SslStream's (<see cref="System.Net.Security.SslClientAuthenticationOptions.CertificateChainPolicy"/>).
    /// </summary>
    internal static X509ChainPolicy OfflineChainPolicy() => new()
    {
        DisableCertificateDownloads = true,
        RevocationMode = X509RevocationMode.NoCheck,
    };

    /// <summary>RFC 6125 name check; a malformed subjectAltName (from a hostile server) matches nothing instead of throwing.</summary>
    internal static bool MatchesHostname(X509Certificate2 certificate, string hostName)
    {
        try
        {
            return certificate.MatchesHostname(hostName, allowWildcards: true, allowCommonName: true);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    private static string ReasonFor(X509ChainStatusFlags flags)
    {
        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
        {
            return string.Empty;
        }
        if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
        {
            return "incompatible-key-usage";
        }
        if ((flags & X509ChainStatusFlags.InvalidBasicConstraints) != 0)
        {
            return "not-authorized-to-sign";
        }
        if ((flags & (X509ChainStatusFlags.InvalidNameConstraints | X509ChainStatusFlags.HasNotSupportedNameConstraint
            | X509ChainStatusFlags.HasNotPermittedNameConstraint | X509ChainStatusFlags.HasExcludedNameConstraint)) != 0)
        {
            return "name-constraint-violation";
        }
        if ((flags & X509ChainStatusFlags.NotSignatureValid) != 0)
        {
            return "invalid-signature";
        }
        return string.Empty;
    }
}
