using System.Diagnostics;

namespace SmtpDeliver.IntegrationTests.Cli;

/// <summary>Runs the built <c>smtpdeliver</c> command (the CLI assembly with <c>dotnet</c>) and captures its output.</summary>
internal static class SmtpDeliverCommand
{
    public sealed record Run(int ExitCode, string Stdout, string Stderr);

    private static string Assembly
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = dir.Parent!.Name; // bin/<configuration>/net10.0
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SmtpDeliver.sln")))
            {
                dir = dir.Parent;
            }
            var path = Path.Combine(dir!.FullName, "src", "SmtpDeliver.Cli", "bin", configuration, "net10.0", "SmtpDeliver.Cli.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("build src/SmtpDeliver.Cli first", path);
        }
    }

    public static async Task<Run> RunAsync(string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(Assembly);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await stdout, await stderr);
    }
}
