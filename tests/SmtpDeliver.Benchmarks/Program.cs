using BenchmarkDotNet.Running;
using SmtpDeliver.Benchmarks.EndToEnd;

namespace SmtpDeliver.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/SmtpDeliver.Benchmarks -- e2e [--quick]</c>: the end-to-end runner;
/// <c>-- alloc [--mime] [--size N]</c>: allocations per message by type (sampled);
/// <c>-- sink [--tls] [--no-chunking] [--expect N]</c>: a hashing sink for Postfix (postfix/run.sh);
/// anything else goes to BenchmarkDotNet (<c>-- --filter '*'</c>).
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "e2e" or "run":
                return await E2eRunner.RunAsync(args[1..]);
            case "alloc":
                return await Profiling.AllocationProfile.RunAsync(args[1..]);
            case "sink":
                return await SinkHost.RunAsync(args[1..]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
