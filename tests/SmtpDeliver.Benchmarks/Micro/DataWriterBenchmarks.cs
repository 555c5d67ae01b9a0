using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;

namespace SmtpDeliver.Benchmarks.Micro;

/// <summary>
/// The data writers on a message in memory to a discarding stream: DATA with dot-stuffing (RFC 5321 4.5.2)
/// and BDAT chunking (RFC 3030 2) into the transport's command buffer. Every tenth line starts with a dot.
/// </summary>
[MemoryDiagnoser]
public class DataWriterBenchmarks
{
    private byte[] _message = [];

    /// <summary>Message size in bytes.</summary>
    [Params(1024, 100 * 1024, 4 * 1024 * 1024)]
    public int MessageSize { get; set; }

    /// <summary>Builds the message.</summary>
    [GlobalSetup]
    public void Setup() => _message = BenchMessage.Create(MessageSize);

    /// <summary>DATA: line checks and dot-stuffing, written to <see cref="Stream.Null"/>.</summary>
    [Benchmark(Baseline = true)]
    public ValueTask<long> DotStuffing() => DataWriter.WriteAsync(new MemoryStream(_message, writable: false), Stream.Null);

    /// <summary>BDAT: 64 KiB chunks appended to the command buffer and written to <see cref="Stream.Null"/>.</summary>
    [Benchmark]
    public async Task<long> Bdat()
    {
        using var transport = new SmtpTransport(Stream.Null, ReplyLimits.Default, NullLogger.Instance, traceSensitive: false);
        using var writer = new BdatWriter(new MemoryStream(_message, writable: false), binary: false);
        while (!await writer.AppendNextAsync(transport, CancellationToken.None))
        {
            await transport.FlushDataAsync(SmtpCommand.Bdat, CancellationToken.None);
        }
        await transport.FlushDataAsync(SmtpCommand.Bdat, CancellationToken.None);
        return writer.Written;
    }
}
