using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SharpFuzz;
using SmtpDeliver.Dane;
using SmtpDeliver.Sasl;
using SmtpDeliver.TlsRpt;
using SmtpDeliver;

namespace SmtpDeliver.Fuzz;

/// <summary>
/// AFL++ targets (through SharpFuzz) for every parser of what a remote sends. A target fails by throwing
/// anything but the parser's documented exception. Run with fuzz/run.sh; see docs/fuzzing.md.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, Action<byte[]>> Targets = new()
    {
        ["reply"] = Reply,
        ["ecode"] = bytes => ReplyLine.ParseEnhancedCode(bytes.Length > 0 ? bytes[0] % 10 : 2, bytes, out _),
        ["ehlo"] = bytes => EhloExtensions.Parse(Encoding.UTF8.GetString(bytes).Split('\n')),
        ["limits"] = bytes => LimitsExtension.Parse(Encoding.UTF8.GetString(bytes)),
        ["tlsa"] = bytes => Expect<FormatException>(() => TlsaRecord.Parse(Encoding.UTF8.GetString(bytes))),
        ["tlsrpt-record"] = bytes => Expect<TlsRptRecordException>(() => TlsRptRecord.Parse(Encoding.UTF8.GetString(bytes))),
        ["scram"] = bytes =>
        {
            var text = Encoding.UTF8.GetString(bytes);
            Expect<SaslException>(() => ScramServerFirst.Parse(text));
            Expect<SaslException>(() => ScramServerFinal.Parse(text));
        },
        ["data"] = DataRoundTrip,
        ["mta-sts-policy"] = MtaStsTargets.Policy,
        ["mta-sts-record"] = MtaStsTargets.Record,
        ["tlsrpt-report"] = TlsRptReportTarget,
        ["gather"] = GatherTarget.Run,
    };

    public static int Main(string[] args)
    {
        if (args.Length != 1 || !Targets.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: SmtpDeliver.Fuzz <{string.Join('|', Targets.Keys)}>");
            return 64;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            target(ms.ToArray());
        });
        return 0;
    }

    private static void Expect<T>(Action parse) where T : Exception
    {
        try
        {
            parse();
        }
        catch (T)
        {
        }
    }

    // A TLSRPT report as a reporter sends it: JsonException is its only failure, and what parses is written
    // and read back (RFC 8460 4.4).
    private static void TlsRptReportTarget(byte[] bytes)
    {
        TlsRptReport report;
        try
        {
            report = TlsRptReport.Parse(Encoding.UTF8.GetString(bytes));
        }
        catch (System.Text.Json.JsonException)
        {
            return;
        }
        _ = TlsRptReport.Parse(report.ToJson());
    }

    // The reply reader over the raw bytes, as from a server: SmtpException is its only failure.
    private static void Reply(byte[] bytes)
    {
        var transport = new SmtpTransport(new MemoryStream(bytes), ReplyLimits.Default, NullLogger.Instance, false);
        try
        {
            while (true)
            {
                transport.ReadReplyAsync(SmtpDeliver.SmtpCommand.Ehlo, true, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }
        catch (SmtpDeliver.SmtpException)
        {
        }
        finally
        {
            transport.Dispose();
        }
    }

    // What DataWriter writes must unstuff to exactly its input; malformed input is MessageDataException only.
    private static void DataRoundTrip(byte[] bytes)
    {
        var output = new MemoryStream();
        try
        {
            DataWriter.WriteAsync(new MemoryStream(bytes), output).AsTask().GetAwaiter().GetResult();
        }
        catch (MessageDataException)
        {
            return;
        }
        var written = output.ToArray();
        var restored = new MemoryStream();
        var start = 0;
        while (true)
        {
            var lf = Array.IndexOf(written, (byte)'\n', start);
            var line = written.AsSpan(start, lf - start + 1);
            if (line.SequenceEqual(".\r\n"u8))
            {
                if (lf + 1 != written.Length)
                {
                    throw new InvalidOperationException("end of data before the end of the output");
                }
                break;
            }
            restored.Write(line.Length > 0 && line[0] == '.' ? line[1..] : line);
            start = lf + 1;
        }
        if (!restored.ToArray().AsSpan().SequenceEqual(bytes))
        {
            throw new InvalidOperationException("data writer round trip differs");
        }
    }
}
