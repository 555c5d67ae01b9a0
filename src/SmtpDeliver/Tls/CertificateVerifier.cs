using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Diagnostics;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tls;

/// <summary>
/// Our own verification of the server certificate for one TLS handshake, in place of the platform's:
/// PKIX is always evaluated and its failure recorded for TLSRPT, whether or not it is enforced. It
/// keeps the certificates exactly as the server sent them.
/// </summary>
internal sealed class CertificateVerifier(
    string hostName,
    bool enforcePkix,
    bool ignoreVerifyErrors,
    X509Certificate2Collection? roots,
    Func<string, string, FailureDetails> failureDetails,
    Result recipientDomainResult,
    ILogger logger)
{
    /// <summary>The certificates the server sent, leaf first; filled during the handshake.</summary>
    public IReadOnlyList<X509Certificate2> PeerCertificates { get; private set; } = [];

    /// <summary>The PKIX outcome; <c>null</c> until the server's certificate was seen.</summary>
    public PkixVerification? Pkix { get; private set; }

    /// <summary>True when this verifier rejected the certificate; its failure is then already recorded.</summary>
    public bool Rejected { get; private set; }

    /// <summary>Why the certificate was rejected, for the error message.</summary>
    public string RejectionReason { get; private set; } = string.Empty;

    /// <summary>The validation callback for <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            Rejected = true;
            RejectionReason = "server sent no certificate";
            return false;
        }
        // The platform's chain is disposed after the callback: keep copies. On Linux its ExtraStore
        // holds the other certificates the server sent.
        var leaf = new X509Certificate2(certificate);
        var sent = new List<X509Certificate2> { leaf };
        if (chain is not null)
        {
            foreach (var c in chain.ChainPolicy.ExtraStore)
            {
                // The platform lists the leaf there too.
                if (!c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    sent.Add(new X509Certificate2(c));
                }
            }
        }
        PeerCertificates = sent;

        var pkix = PkixVerification.Verify(sent[0], sent, hostName, roots);
        Pkix = pkix;
        if (pkix.Verified)
        {
            return true;
        }
        // RFC 8460 4.3: the failure counts against the recipient domain's policy, enforced or not.
        recipientDomainResult.Add(0, 0, failureDetails(pkix.ResultType, pkix.ReasonCode));
        if (enforcePkix && !ignoreVerifyErrors)
        {
            Rejected = true;
            RejectionReason = pkix.Problem;
            return false;
        }
        Log.TlsVerificationIgnored(logger, hostName, pkix.Problem);
        return true;
    }
}
