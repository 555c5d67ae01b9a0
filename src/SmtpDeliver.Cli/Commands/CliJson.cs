using System.Text.Json.Serialization;

namespace SmtpDeliver.Cli.Commands;

internal sealed record TlsaJson(string? Name, string Record, bool Usable);

internal sealed record DaneIpJson(string Ip, string Result, string? VerifiedRecord, string? TlsVersion, string? Cipher, string? Error);

internal sealed record DaneHostJson(string Host, bool Authentic, string Result, List<TlsaJson> Tlsa, List<DaneIpJson> Ips, string? Error);

internal sealed record DaneVerifyJson(string Domain, string Result, List<DaneHostJson> Hosts, string? Error);

internal sealed record CertificateJson(string Subject, List<string> DnsNames, string Issuer, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string SpkiSha256);

internal sealed record ProbeExtensionJson(string Keyword, string Parameters);

internal sealed record ProbeJson(
    string Host, int Port, string Greeting, Dictionary<string, string> Extensions, List<ProbeExtensionJson> ExtensionsAll, bool StartTls, string? TlsVersion, string? Cipher,
    List<CertificateJson> Certificates, bool? PkixVerified, string? PkixProblem, string? DaneResult, string? DaneRecord,
    List<SmtpDeliver.TlsRpt.TlsRptResult> Tlsrpt, string? Error);

internal sealed record RecipientJson(string Address, string Status, int Code, string EnhancedCode, string Line);

internal sealed record SendTlsJson(string? Version, string? Cipher, string Status);

internal sealed record SendJson(List<RecipientJson> Recipients, string Host, string? Ip, SendTlsJson Tls, string? Dane, List<SmtpDeliver.TlsRpt.TlsRptResult> Tlsrpt, string? Error);

/// <summary>Source-generated JSON for CLI output: snake_case names, documented in docs/cli.md.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(TlsaJson))]
[JsonSerializable(typeof(DaneVerifyJson))]
[JsonSerializable(typeof(ProbeJson))]
[JsonSerializable(typeof(SendJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Output for people and scripts: '<', '>' and non-ASCII text as they are, not \u escapes.</summary>
    public static CliJsonContext Output { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
