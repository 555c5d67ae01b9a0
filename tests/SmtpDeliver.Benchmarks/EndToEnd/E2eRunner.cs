using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using SmtpDeliver.Mime;

namespace SmtpDeliver.Benchmarks.EndToEnd;

/// <summary>
/// The <c>e2e</c> mode: every scenario for SmtpDeliver and MailKit (as users use it, and with NoDelay) against a
/// sink in a child process that hashes every message; medians of 3; a markdown table and a CSV.
/// </summary>
internal sealed class E2eRunner
{
    private const int Repetitions = 3;
    private readonly bool _quick;
    private readonly SinkProcess _sink;
    private readonly List<ScenarioResult> _results = [];

    private E2eRunner(bool quick, SinkProcess sink)
    {
        _quick = quick;
        _sink = sink;
    }

    // Each repetition runs about this long (the count is sized from a warm-up), within these bounds.
    private double TargetSeconds => _quick ? 0.12 : 0.6;
    private int MaxCount => _quick ? 2_000 : 50_000;

    /// <summary>Runs <c>e2e [--quick] [--out dir] [--only text]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var outIndex = Array.IndexOf(args, "--out");
        var outDir = outIndex >= 0 ? args[outIndex + 1] : Path.Combine("artifacts", "benchmarks");
        var onlyIndex = Array.IndexOf(args, "--only");
        var only = onlyIndex >= 0 ? args[onlyIndex + 1] : null;
        Directory.CreateDirectory(outDir);
        var pfx = Path.Combine(Path.GetTempPath(), $"smtpdeliver-bench-{Environment.ProcessId}.pfx");
        using (var certificate = SinkHost.CreateCertificate("mx.bench.example"))
        {
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx));
        }
        var started = Stopwatch.GetTimestamp();
        await using (var sink = SinkProcess.Start(pfx))
        {
            var runner = new E2eRunner(quick, sink);
            await runner.RunScenariosAsync(only);
            var name = quick ? "e2e-quick" : "e2e";
            await File.WriteAllTextAsync(Path.Combine(outDir, name + ".csv"), E2eReport.Csv(runner._results));
            var markdown = E2eReport.Markdown(runner._results, quick, Stopwatch.GetElapsedTime(started));
            await File.WriteAllTextAsync(Path.Combine(outDir, name + ".md"), markdown);
            Console.WriteLine();
            Console.WriteLine(markdown);
            Console.WriteLine($"wrote {Path.Combine(outDir, name)}.csv and .md");
        }
        File.Delete(pfx);
        return 0;
    }

    private async Task RunScenariosAsync(string? only)
    {
        bool Want(string s) => only is null || s.Contains(only, StringComparison.OrdinalIgnoreCase);
        var k1 = new Workload(BenchMessage.Create(1024), 1);

        // Warm-up, discarded: the first scenario otherwise pays for tiered JIT of both libraries (on a loaded
        // 2-core machine the background compiler competes with the run).
        foreach (var tls in new[] { false, true })
        {
            await CompareAsync("warm-up", "warm-up", 0, k1, tls, true);
            await CompareAsync("warm-up", "warm-up", 0, new Workload(BenchMessage.Create(100 * 1024), 1), tls, true);
        }
        _results.Clear();

        foreach (var (label, tls, chunking) in new[] { ("1 KB × 1 rcpt, reused connection, plain", false, true), ("1 KB × 1 rcpt, reused connection, plain, no CHUNKING", false, false), ("1 KB × 1 rcpt, reused connection, STARTTLS", true, true) })
        {
            if (Want(label))
            {
                await CompareAsync(label, "size", 1024, k1, tls, chunking);
            }
        }
        foreach (var size in new[] { 10 * 1024, 100 * 1024, 1024 * 1024 })
        {
            var label = $"{Size(size)} × 1 rcpt, reused connection, plain";
            if (Want(label))
            {
                await CompareAsync(label, "size", size, new Workload(BenchMessage.Create(size), 1), false, true);
            }
        }
        if (Want("100 KB × 1 rcpt, reused connection, STARTTLS"))
        {
            await CompareAsync("100 KB × 1 rcpt, reused connection, STARTTLS", "size-tls", 100 * 1024, new Workload(BenchMessage.Create(100 * 1024), 1), true, true);
        }
        // 16 MiB in --quick (to stay under a minute), 64 MiB otherwise.
        var big = (_quick ? 16 : 64) * 1024 * 1024;
        if (Want("MiB × 1 rcpt, plain"))
        {
            var w = new Workload(BenchMessage.Create(big), 1);
            await CompareAsync($"{Size(big)} × 1 rcpt, plain", "size", big, w, false, true, raw: true);
        }
        foreach (var n in new[] { 10, 100 })
        {
            var label = $"1 KB × {n} rcpts, reused connection, plain";
            if (Want(label))
            {
                await CompareAsync(label, "recipients", n, new Workload(BenchMessage.Create(1024), n), false, true);
            }
        }
        foreach (var tls in new[] { false, true })
        {
            var mode = tls ? "STARTTLS" : "plain";
            foreach (var (parallel, reuse) in new[] { (1, false), (8, false), (1, true), (8, true), (64, true) })
            {
                var label = $"Deliverer 1 KB, {mode}, {parallel} in parallel{(reuse ? "" : ", reuse off")}";
                if (Want(label))
                {
                    await MeasureAsync(label, "SmtpDeliver", reuse ? "deliverer-" + mode : "deliverer-noreuse-" + mode, parallel, k1, tls, true,
                        port => Task.FromResult(DelivererClient.Open(port, k1, parallel, reuse)), warmup: 4 * parallel);
                }
            }
        }
        if (Want("MimeMessage"))
        {
            var w = new Workload(BenchMessage.Create(100 * 1024), 1);
            const string label = "MimeMessage 100 KB, reused connection, plain";
            await MeasureAsync(label, "mime", 100 * 1024, w, false, true,
            [
                ("SmtpDeliver", port => SessionClient.OpenAsync(port, false, w, mime: true)),
                ("SmtpDeliver, MeasureFirst", port => SessionClient.OpenAsync(port, false, w, mime: true, new MimeDeliveryOptions { MeasureFirst = true })),
                ("MailKit", port => MailKitClient.OpenAsync(port, false, w, noDelay: false)),
                ("MailKit NoDelay", port => MailKitClient.OpenAsync(port, false, w, noDelay: true)),
            ]);
            MimeKitWriteOnly(label, w);
        }
        foreach (var tls in new[] { false, true })
        {
            var label = $"{(_quick ? 250 : 1000)} concurrent sessions, {(tls ? "STARTTLS" : "plain")}";
            if (Want(label))
            {
                await ConcurrentSessionsAsync(label, _quick ? 250 : 1000, tls, k1);
            }
        }
    }

    // What MimeKit alone allocates to write the message once (to Stream.Null), for the MimeMessage path's bound.
    private void MimeKitWriteOnly(string label, Workload w)
    {
        var format = new MimeKit.FormatOptions { NewLineFormat = MimeKit.NewLineFormat.Dos };
        w.Mime.WriteTo(format, Stream.Null);
        const int count = 200;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < count; i++)
        {
            w.Mime.WriteTo(format, Stream.Null);
        }
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        _results.Add(new ScenarioResult(label, "MimeKit WriteTo(Stream.Null) only", "mime-write", 0, count, 0, 0, 0, (double)allocated / count, true,
            "one serialisation by MimeKit, no SMTP: the allocation floor of any path that writes the MimeMessage (SmtpDeliver over pipelined BDAT writes it once; measured first, twice)"));
    }

    private static string Size(int bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes / 1024} KB";

    private async Task CompareAsync(string label, string group, double x, Workload w, bool tls, bool chunking, bool raw = false)
    {
        var clients = new List<(string, Func<int, Task<IBenchClient>>)>
        {
            ("SmtpDeliver", port => SessionClient.OpenAsync(port, tls, w)),
            ("MailKit", port => MailKitClient.OpenAsync(port, tls, w, noDelay: false)),
            ("MailKit NoDelay", port => MailKitClient.OpenAsync(port, tls, w, noDelay: true)),
        };
        if (raw)
        {
            clients.Add(("raw socket", port => RawClient.OpenAsync(port, w, chunked: false)));
            clients.Add(("raw socket, 64 KiB BDAT chunks", port => RawClient.OpenAsync(port, w, chunked: true)));
        }
        await MeasureAsync(label, group, x, w, tls, chunking, clients);
    }

    private Task MeasureAsync(string label, string client, string group, double x, Workload w, bool tls, bool chunking, Func<int, Task<IBenchClient>> open, int warmup = 5) =>
        MeasureAsync(label, group, x, w, tls, chunking, [(client, open)], warmup);

    /// <summary>One repetition of one client: a fresh sink, connect, warm up, time a count sized to the target.</summary>
    private sealed record Repetition(double Rate, double Flights, double Allocated, double Connections, int Count, string? Problem);

    // The repetitions are interleaved (rep 1 of every client, then rep 2, ...) so that the load of a shared machine
    // falls on all clients alike; ratios are medians of the ratios of paired repetitions.
    private async Task MeasureAsync(string label, string group, double x, Workload w, bool tls, bool chunking, IReadOnlyList<(string Client, Func<int, Task<IBenchClient>> Open)> clients, int warmup = 5)
    {
        var reps = clients.ToDictionary(c => c.Client, _ => new List<Repetition>());
        for (var rep = 0; rep < Repetitions; rep++)
        {
            foreach (var (client, open) in clients)
            {
                var r = await RepeatAsync(w, tls, chunking, open, warmup);
                reps[client].Add(r);
                Console.WriteLine($"  {label} | {client} | rep {rep + 1}: {r.Rate:F0} msgs/s {r.Problem}");
            }
        }
        foreach (var (client, _) in clients)
        {
            var list = reps[client];
            var problem = list.Select(r => r.Problem).FirstOrDefault(p => p is not null);
            var ok = list.Where(r => r.Problem is null).ToList();
            var note = problem ?? (group.StartsWith("deliverer", StringComparison.Ordinal) ? $"{Median(ok.Select(r => r.Connections))} new connections per message" : "");
            double Ratio(string other) => reps.TryGetValue(other, out var o) && problem is null && o.All(r => r.Problem is null && r.Rate > 0)
                ? Median(list.Zip(o, (a, b) => a.Rate / b.Rate)) : double.NaN;
            var rate = ok.Count == 0 ? 0 : Median(ok.Select(r => r.Rate));
            var result = new ScenarioResult(label, client, group, x, list.Sum(r => r.Count), rate, rate * w.Bytes.Length / 1e6,
                ok.Count == 0 ? 0 : Median(ok.Select(r => r.Flights)), ok.Count == 0 ? 0 : Median(ok.Select(r => r.Allocated)), problem is null, note)
            {
                RatioMailKit = client == "MailKit" ? double.NaN : Ratio("MailKit"),
                RatioMailKitNoDelay = client == "MailKit NoDelay" ? double.NaN : Ratio("MailKit NoDelay"),
            };
            _results.Add(result);
            Console.WriteLine($"{label} | {client}: {result.MessagesPerSecond:F0} msgs/s, {result.FlightsPerMessage:F2} flights/msg, {result.AllocatedPerMessage / 1024:F1} KiB alloc/msg, {(result.Verified ? "verified" : "NOT verified")}; vs MailKit {result.RatioMailKit:F2}× {note}");
        }
    }

    private async Task<Repetition> RepeatAsync(Workload w, bool tls, bool chunking, Func<int, Task<IBenchClient>> open, int warmup)
    {
        var port = await _sink.NewAsync(tls, chunking);
        await _sink.ExpectAsync(SHA256.HashData(w.Bytes), w.Recipients.Length);
        try
        {
            await using var bench = await open(port);
            var warm = Stopwatch.StartNew();
            var large = w.Bytes.Length > 8 * 1024 * 1024;
            var warmCount = large ? 1 : Math.Max(5, warmup);
            await bench.RunAsync(warmCount);
            var perMessage = warm.Elapsed.TotalSeconds / warmCount;
            var count = (int)Math.Clamp(TargetSeconds / Math.Max(perMessage, 1e-6), large ? 1 : _quick ? 5 : 20, MaxCount);
            var before = await _sink.WaitForAsync(warmCount);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            await bench.RunAsync(count);
            watch.Stop();
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            var after = await _sink.WaitForAsync(before.Messages + count);
            var good = after.Good - before.Good == count && after.Messages - before.Messages == count && after.Errors == 0
                && (!tls || after.Tls - before.Tls == count);
            return new Repetition(count / watch.Elapsed.TotalSeconds, (double)(after.Flights - before.Flights) / count, (double)allocated / count,
                (double)(after.Connections - before.Connections) / count, count,
                good ? null : $"NOT VERIFIED: {after.Messages - before.Messages} arrived, {after.Good - before.Good} intact, {after.Tls - before.Tls} over TLS, {after.Errors} sink errors");
        }
        catch (Exception e)
        {
            return new Repetition(0, 0, 0, 0, 0, "FAILED: " + e.GetType().Name + ": " + e.Message.ReplaceLineEndings(" "));
        }
    }

    private async Task ConcurrentSessionsAsync(string label, int sessions, bool tls, Workload w)
    {
        foreach (var client in new[] { "SmtpDeliver", "MailKit" })
        {
            var port = await _sink.NewAsync(tls);
            await _sink.ExpectAsync(SHA256.HashData(w.Bytes), 1);
            var threads = Process.GetCurrentProcess().Threads.Count;
            var memory = GC.GetTotalMemory(forceFullCollection: true);
            var open = new List<IBenchClient>();
            var note = "";
            var ok = true;
            try
            {
                using var gate = new SemaphoreSlim(32);
                var tasks = Enumerable.Range(0, sessions).Select(async _ =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        return client == "SmtpDeliver"
                            ? await SessionClient.OpenAsync(port, tls, w)
                            : await MailKitClient.OpenAsync(port, tls, new Workload(w.Bytes, 1), noDelay: false); // a MimeMessage each: MailKit prepares (changes) the message it sends
                    }
                    finally
                    {
                        gate.Release();
                    }
                });
                open.AddRange(await Task.WhenAll(tasks));
                var held = GC.GetTotalMemory(forceFullCollection: true) - memory;
                var threadDelta = Process.GetCurrentProcess().Threads.Count - threads;
                var before = await _sink.StatsAsync();
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var watch = Stopwatch.StartNew();
                await Task.WhenAll(open.Select(c => c.RunAsync(1)));
                watch.Stop();
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                var after = await _sink.WaitForAsync(before.Messages + sessions);
                ok = after.Good - before.Good == sessions && after.Errors == 0 && (!tls || after.Tls - before.Tls == sessions);
                note = (ok ? "" : $"NOT VERIFIED: {after.Messages - before.Messages} arrived, {after.Good - before.Good} intact, {after.Tls - before.Tls} over TLS, {after.Errors} sink errors; ") + $"{held / sessions / 1024.0:F1} KiB managed memory per connected session; {threadDelta:+0;-0;0} threads for {sessions} sessions";
                _results.Add(new ScenarioResult(label, client, tls ? "sessions-tls" : "sessions", sessions, sessions, sessions / watch.Elapsed.TotalSeconds,
                    sessions * w.Bytes.Length / watch.Elapsed.TotalSeconds / 1e6, (double)(after.Flights - before.Flights) / sessions, (double)allocated / sessions, ok, note));
            }
            catch (Exception e)
            {
                _results.Add(new ScenarioResult(label, client, tls ? "sessions-tls" : "sessions", sessions, 0, 0, 0, 0, 0, false, "FAILED: " + e.Message.ReplaceLineEndings(" ")));
            }
            finally
            {
                await Task.WhenAll(open.Select(c => c.DisposeAsync().AsTask()));
            }
            var r = _results[^1];
            Console.WriteLine($"{label} | {client}: {r.MessagesPerSecond:F0} msgs/s, {r.Note}, {(r.Verified ? "verified" : "NOT verified")}");
        }
        var sd = _results.FindIndex(r => r.Scenario == label && r.Client == "SmtpDeliver");
        var mk = _results.Find(r => r.Scenario == label && r.Client == "MailKit");
        if (sd >= 0 && mk is { MessagesPerSecond: > 0 })
        {
            _results[sd] = _results[sd] with { RatioMailKit = _results[sd].MessagesPerSecond / mk.MessagesPerSecond };
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
