using BenchmarkDotNet.Running;

namespace SmtpDeliver.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project tests/SmtpDeliver.Benchmarks -- --filter '*'</c>.</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
