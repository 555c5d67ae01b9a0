using System.Globalization;

namespace SmtpDeliver.TlsRpt;

/// <summary>TLS alert descriptions (RFC 8446 6) as used in TLSRPT failure reason codes.</summary>
public static class TlsAlert
{
    /// <summary>"alert-N", plus "-name" for a known alert, e.g. "alert-70-protocol-version".</summary>
    public static string Format(int alert) => string.Create(CultureInfo.InvariantCulture, $"alert-{alert}");
}
