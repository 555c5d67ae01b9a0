using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Benchmarks.EndToEnd;

namespace SmtpDeliver.Benchmarks.Profiling;

/// <summary>
/// <c>alloc [--mime | --deliverer] [--tls] [--no-chunking] [--size N] [--rcpts N] [--count N]</c>: sends one message many times on a reused connection to
/// the sink (a child process) and prints what the client allocated per message, by type, from the runtime's
/// allocation samples (one sample about every 100 KB allocated, so a type's share of samples is its share of bytes).
/// </summary>
internal static class AllocationProfile
{
    public static async Task<int> RunAsync(string[] args)
    {
        var mime = args.Contains("--mime");
        var tls = args.Contains("--tls");
        var chunking = !args.Contains("--no-chunking");
        var size = Option(args, "--size", 1024);
        var recipients = Option(args, "--rcpts", 1);
        var count = Option(args, "--count", 100_000);
        if (args.Contains("--stream-only"))
        {
            var m = new Workload(BenchMessage.Create(size), 1).Mime;
            var format = new MimeKit.FormatOptions { NewLineFormat = MimeKit.NewLineFormat.Dos, EnsureNewLine = true };
            var buf = new byte[65537];
            async Task OneAsync()
            {
                await using var st = new SmtpDeliver.Mime.MimeMessageStream(m, format, null);
                while (await st.ReadAtLeastAsync(buf, buf.Length, false) > 0)
                {
                }
            }
            for (var i = 0; i < 200; i++)
            {
                await OneAsync();
            }
            using var l = new AllocationSampler();
            var b = GC.GetTotalAllocatedBytes(true);
            for (var i = 0; i < count; i++)
            {
                await OneAsync();
            }
            Console.WriteLine((GC.GetTotalAllocatedBytes(true) - b) / (double)count);
            foreach (var (type, samples) in l.Samples.OrderByDescending(kv => kv.Value).Take(10))
            {
                Console.WriteLine($"{samples} {type}");
            }
            return 0;
        }
        var certificate = Path.Combine(Path.GetTempPath(), $"smtpdeliver-bench-{Environment.ProcessId}.pfx");
        using (var generated = SinkHost.CreateCertificate("mx.bench.example"))
        {
            await File.WriteAllBytesAsync(certificate, generated.Export(X509ContentType.Pfx));
        }
        await using var sink = SinkProcess.Start(certificate);
        var port = await sink.NewAsync(tls, chunking);
        var work = new Workload(BenchMessage.Create(size), recipients);
        await using var client = args.Contains("--deliverer")
            ? DelivererClient.Open(port, work, parallel: 1, reuse: true)
            : await SessionClient.OpenAsync(port, tls, work, mime);
        await client.RunAsync(2_000);

        using var listener = new AllocationSampler();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await client.RunAsync(count);
        var perMessage = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)count;
        listener.Stop();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} messages of {size} bytes, {recipients} recipient(s), {(args.Contains("--deliverer") ? "Deliverer" : mime ? "MimeMessage" : "bytes")}, {(tls ? "STARTTLS" : "plain")}, {(chunking ? "BDAT" : "DATA")}: {perMessage:F0} bytes allocated per message"));
        var total = listener.Samples.Values.Sum();
        foreach (var (type, samples) in listener.Samples.OrderByDescending(kv => kv.Value).Take(40))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{samples * perMessage / total,8:F0} B  {samples,6}  {type}"));
        }
        File.Delete(certificate);
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed class AllocationSampler : EventListener
    {
        private volatile bool _stopped;

        public ConcurrentDictionary<string, long> Samples { get; } = new();

        public void Stop() => _stopped = true;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                // Keyword 0x1 = GC; AllocationTick is a verbose event.
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (_stopped || eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null)
            {
                return;
            }
            var index = eventData.PayloadNames.IndexOf("TypeName");
            if (index >= 0 && eventData.Payload?[index] is string type)
            {
                Samples.AddOrUpdate(type, 1, (_, n) => n + 1);
            }
        }
    }
}
