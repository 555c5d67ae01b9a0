using System.Diagnostics;
using System.Globalization;

namespace SmtpDeliver.Benchmarks.EndToEnd;

/// <summary>The counters of the sink process at one moment.</summary>
internal readonly record struct SinkStats(long Messages, long Flights, long Connections, long Good, long Tls, long Errors);

/// <summary>The runner's handle on a <see cref="SinkHost"/> child process (this program in <c>sink --control</c> mode).</summary>
internal sealed class SinkProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SinkProcess(Process process) => _process = process;

    /// <summary>Starts the child; <paramref name="certificatePath"/> is the PFX it serves STARTTLS with.</summary>
    public static SinkProcess Start(string certificatePath)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(SinkProcess).Assembly.Location);
        }
        foreach (var a in new[] { "sink", "--control", "--cert", certificatePath })
        {
            info.ArgumentList.Add(a);
        }
        return new SinkProcess(Process.Start(info)!);
    }

    /// <summary>Replaces the sink with a fresh one (counters zero, nothing kept) and returns its port.</summary>
    public async Task<int> NewAsync(bool tls, bool chunking = true, bool pipelining = true)
    {
        var reply = await CommandAsync($"new {(tls ? 1 : 0)} {(chunking ? 1 : 0)} {(pipelining ? 1 : 0)}");
        return int.Parse(reply["port ".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>From now, a message counts as good only with this SHA-256 and this many recipients (0: any).</summary>
    public Task ExpectAsync(byte[]? sha256, int recipients) =>
        CommandAsync($"expect {(sha256 is null ? "-" : Convert.ToHexString(sha256))} {recipients}");

    /// <summary>The counters now.</summary>
    public async Task<SinkStats> StatsAsync()
    {
        var v = (await CommandAsync("stats")).Split(' ').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return new SinkStats(v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    /// <summary>Waits (at most 30 s) until the sink counted <paramref name="messages"/> messages.</summary>
    public async Task<SinkStats> WaitForAsync(long messages)
    {
        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (true)
        {
            var stats = await StatsAsync();
            if (stats.Messages >= messages || Stopwatch.GetTimestamp() > deadline)
            {
                return stats;
            }
            await Task.Delay(5);
        }
    }

    private async Task<string> CommandAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return await _process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the sink process ended");
    }

    /// <summary>Stops the child.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("quit");
            await _process.StandardInput.FlushAsync();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            _process.Kill();
        }
        _process.Dispose();
    }
}
