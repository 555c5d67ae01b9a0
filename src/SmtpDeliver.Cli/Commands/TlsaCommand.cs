using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using SmtpDeliver.Dane;

namespace SmtpDeliver.Cli.Commands;

/// <summary><c>smtpdeliver tlsa</c>: the TLSA record for a certificate.</summary>
internal static class TlsaCommand
{
    public static Command Create()
    {
        var cert = new Option<FileInfo>("--cert") { Description = "PEM file with the certificate (the first one in the file).", Required = true };
        var usage = new Option<byte>("--usage") { Description = "Certificate usage: 3 DANE-EE, 2 DANE-TA.", DefaultValueFactory = _ => 3 };
        var selector = new Option<byte>("--selector") { Description = "Selector: 1 SPKI, 0 full certificate.", DefaultValueFactory = _ => 1 };
        var matching = new Option<byte>("--matching") { Description = "Matching type: 1 SHA-256, 2 SHA-512, 0 full.", DefaultValueFactory = _ => 1 };
        var host = new Option<string?>("--host") { Description = "Print the record with its owner name _PORT._tcp.HOST." };
        var port = new Option<int>("--port") { Description = "Port for the owner name.", DefaultValueFactory = _ => 25 };
        var json = new Option<bool>("--json") { Description = "Write JSON." };
        var command = new Command("tlsa", "Print the TLSA record for a certificate, e.g. \"3 1 1 <hex>\".") { cert, usage, selector, matching, host, port, json };
        command.SetAction(result =>
        {
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(result.GetValue(cert)!.FullName)).RawData);
            }
            catch (Exception e) when (e is CryptographicException or IOException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"smtpdeliver tlsa: cannot read certificate: {e.Message}");
                return ExitCodes.DataError;
            }
            var m = (TlsaMatchingType)result.GetValue(matching);
            if (m is not (TlsaMatchingType.Full or TlsaMatchingType.Sha256 or TlsaMatchingType.Sha512))
            {
                Console.Error.WriteLine("smtpdeliver tlsa: matching type must be 0, 1 or 2");
                return ExitCodes.Usage;
            }
            var record = DaneVerifier.ComputeRecord(certificate, (TlsaUsage)result.GetValue(usage), (TlsaSelector)result.GetValue(selector), m);
            var owner = result.GetValue(host) is { } h ? $"_{result.GetValue(port)}._tcp.{h.TrimEnd('.')}." : null;
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new TlsaJson(owner, record.ToString(), record.IsUsableForSmtp), CliJsonContext.Output.TlsaJson));
            }
            else
            {
                Console.WriteLine(owner is null ? record.ToString() : $"{owner} IN TLSA {record}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
