using System.Globalization;

namespace SmtpDeliver.Tls;

/// <summary>TLS alert descriptions (RFC 8446 6, RFC 5246 7.2) as used in TLSRPT failure reason codes.</summary>
public static class TlsAlert
{
    private static readonly Dictionary<int, string> Names = new()
    {
        [0] = "close-notify",
        [10] = "unexpected-message",
        [20] = "bad-record-MAC",
        [21] = "decryption-failed",
        [22] = "record-overflow",
        [30] = "decompression-failure",
        [40] = "handshake-failure",
        [42] = "bad-certificate",
        [43] = "unsupported-certificate",
        [44] = "revoked-certificate",
        [45] = "expired-certificate",
        [46] = "unknown-certificate",
        [47] = "illegal-parameter",
        [48] = "unknown-certificate-authority",
        [49] = "access-denied",
        [50] = "error-decoding-message",
        [51] = "error-decrypting-message",
        [60] = "export-restriction",
        [70] = "protocol-version-not-supported",
        [71] = "insufficient-security-level",
        [80] = "internal-error",
        [86] = "inappropriate-fallback",
        [90] = "user-canceled",
        [100] = "no-renegotiation",
        [109] = "missing-extension",
        [110] = "unsupported-extension",
        [111] = "certificate-unobtainable",
        [112] = "unrecognized-name",
        [113] = "bad-certificate-status-response",
        [114] = "bad-certificate-hash-value",
        [115] = "unknown-PSK-identity",
        [116] = "certificate-required",
        [120] = "no-application-protocol",
        [121] = "encrypted-client-hello-required",
    };

    /// <summary>"alert-N", plus "-name" for a known alert, e.g. "alert-70-protocol-version-not-supported", "alert-200".</summary>
    public static string Format(int alert) => Names.TryGetValue(alert, out var name)
        ? string.Create(CultureInfo.InvariantCulture, $"alert-{alert}-{name}")
        : string.Create(CultureInfo.InvariantCulture, $"alert-{alert}");
}
