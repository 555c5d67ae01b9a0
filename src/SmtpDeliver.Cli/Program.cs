using System.CommandLine;
using SmtpDeliver.Cli.Commands;
using SmtpDeliver.Cli.Demo;

namespace SmtpDeliver.Cli;

/// <summary>Entry point of the <c>smtpdeliver</c> command.</summary>
internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        var root = new RootCommand("smtpdeliver: outbound SMTP delivery with DANE, MTA-STS, REQUIRETLS and TLSRPT.");
        var common = new CommonOptions();
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(TlsaCommand.Create());
        root.Subcommands.Add(DaneVerifyCommand.Create(common));
        root.Subcommands.Add(ProbeCommand.Create(common));
        root.Subcommands.Add(SendCommand.Create(common));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"smtpdeliver: {error.Message}");
            }
            return Task.FromResult(ExitCodes.Usage);
        }
        return parsed.InvokeAsync();
    }
}
