using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Dane;
using SmtpDeliver.Diagnostics;
using SmtpDeliver.Names;
using SmtpDeliver.Tls;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver;

/// <summary>
/// Our own verification of the server certificate for one TLS handshake, in place of the platform's:
/// DANE first when TLSA records are given, then PKIX, always; failures are recorded for TLSRPT whether
/// or not they are enforced (DANE for the host's result, PKIX for the recipient domain's). It keeps the
/// certificates exactly as the server sent them.
/// </summary>
internal sealed class CertificateVerifier(
    Domain hostName,
    bool enforcePkix,
    SmtpSessionOptions options,
    Func<string, string, FailureDetails> failureDetails,
    TlsRptResult recipientDomainResult,
    TlsRptResult hostResult,
    ILogger logger)
{
    /// <summary>The DANE outcome; <c>null</c> when no TLSA records were given.</summary>
    public DaneVerification? Dane { get; private set; }

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
        var problems = new List<string>();

        if (options.DaneRecords is { } records)
        {
            // RFC 7672 2.2: with usable TLSA records, DANE decides; the failure counts for the host's policy.
            var dane = DaneVerifier.Verify(records, sent, hostName, options.DaneMoreHostnames, options.RootCertificates, options.TimeProvider);
            Dane = dane;
            if (!dane.Verified)
            {
                hostResult.Add(0, 0, failureDetails(ResultType.ValidationFailure, dane.FailureReasonCode));
                var problem = dane.Errors.Count == 0 ? "no tlsa record matches the certificate" : "no tlsa record matches the certificate: " + string.Join("; ", dane.Errors.Select(e => e.Message));
                if (options.IgnoreTlsVerifyErrors)
                {
                    Log.TlsVerificationIgnored(logger, hostName.Ascii, problem);
                }
                else
                {
                    problems.Add(problem);
                }
            }
        }

        // PKIX is evaluated on every handshake, also when DANE verified or PKIX is not enforced.
        var pkix = PkixVerification.Verify(sent[0], sent, hostName.Ascii, options.RootCertificates, options.TimeProvider);
        Pkix = pkix;
        if (!pkix.Verified)
        {
            // RFC 8460 4.3: the failure counts against the recipient domain's policy, enforced or not.
            recipientDomainResult.Add(0, 0, failureDetails(pkix.ResultType, pkix.ReasonCode));
            if (enforcePkix && !options.IgnoreTlsVerifyErrors)
            {
                problems.Add(pkix.Problem);
            }
            else
            {
                Log.TlsVerificationIgnored(logger, hostName.Ascii, pkix.Problem);
            }
        }
        if (problems.Count == 0)
        {
            return true;
        }
        Rejected = true;
        RejectionReason = string.Join("; ", problems);
        return false;
    }
}
