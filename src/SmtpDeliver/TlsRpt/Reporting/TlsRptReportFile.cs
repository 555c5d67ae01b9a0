using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// A report as it is sent: its RFC 8460 4 JSON, gzipped, and its file name (RFC 8460 5.1):
/// <c>submitter!policy-domain!begin-timestamp!end-timestamp!unique-id.json.gz</c>, the timestamps in seconds
/// since the Unix epoch.
/// </summary>
/// <param name="FileName">The file name.</param>
/// <param name="Content">The gzipped JSON.</param>
public sealed record TlsRptReportFile(string FileName, ReadOnlyMemory<byte> Content)
{
    /// <summary>The media type of the gzipped report (RFC 8460 6.5).</summary>
    public const string MediaType = "application/tlsrpt+gzip";

    /// <summary>Serialises and gzips <paramref name="report"/>.</summary>
    /// <param name="report">The report; its policies' domain is <paramref name="policyDomain"/>.</param>
    /// <param name="submitter">The submitter's domain (ASCII).</param>
    /// <param name="policyDomain">The policy domain (ASCII).</param>
    /// <param name="uniqueId">Letters and digits only (RFC 8460 5.1 unique-id).</param>
    /// <exception cref="ArgumentException"><paramref name="uniqueId"/> is not letters and digits, or a domain has a '!'.</exception>
    public static TlsRptReportFile Create(TlsRptReport report, string submitter, string policyDomain, string uniqueId)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(submitter);
        ArgumentException.ThrowIfNullOrEmpty(policyDomain);
        ArgumentException.ThrowIfNullOrEmpty(uniqueId);
        if (!uniqueId.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException("unique-id must be letters and digits (RFC 8460 5.1)", nameof(uniqueId));
        }
        if (submitter.Contains('!', StringComparison.Ordinal) || policyDomain.Contains('!', StringComparison.Ordinal))
        {
            throw new ArgumentException("a domain in a report file name cannot contain '!'");
        }
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{submitter}!{policyDomain}!{report.DateRange.Start.ToUnixTimeSeconds()}!{report.DateRange.End.ToUnixTimeSeconds()}!{uniqueId}.json.gz");
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(report.ToJson()));
        }
        return new TlsRptReportFile(name, buffer.ToArray());
    }

    /// <summary>The JSON inside <paramref name="gzipped"/>, read up to <paramref name="maxBytes"/> bytes (a gzip bomb stops there).</summary>
    /// <exception cref="InvalidDataException">Not gzip, or larger than <paramref name="maxBytes"/> once decompressed.</exception>
    public static string Decompress(ReadOnlyMemory<byte> gzipped, int maxBytes = 16 * 1024 * 1024)
    {
        using var input = new MemoryStream(gzipped.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = gzip.Read(chunk)) > 0)
        {
            if (output.Length + n > maxBytes)
            {
                throw new InvalidDataException($"tlsrpt report larger than {maxBytes} bytes");
            }
            output.Write(chunk, 0, n);
        }
        return Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length);
    }
}
