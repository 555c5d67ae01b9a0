using System.CommandLine;
using System.CommandLine.Help;
using SmtpDeliver.Cli.Commands;
using SmtpDeliver.Cli.Demo;

namespace SmtpDeliver.Cli;

/// <summary>Entry point of the <c>smtpdeliver</c> command.</summary>
internal static class Program
{
    /// <summary>The command's name in help and errors: the tool's ToolCommandName, not the assembly name.</summary>
    internal const string CommandName = "smtpdeliver";

    private static Task<int> Main(string[] args)
    {
        // Not RootCommand: it names itself after the process (the assembly, SmtpDeliver.Cli, when run as
        // a tool or with `dotnet SmtpDeliver.Cli.dll`), and Name cannot be changed. The command is smtpdeliver
        // in help and errors wherever it runs from; --help and --version are what RootCommand would add.
        var root = new Command(CommandName, "smtpdeliver: outbound SMTP delivery with DANE, MTA-STS, REQUIRETLS and TLSRPT.")
        {
            new HelpOption(),
            new VersionOption(),
        };
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
                Console.Error.WriteLine($"{CommandName}: {error.Message}");
            }
            return Task.FromResult(ExitCodes.Usage);
        }
        return parsed.InvokeAsync();
    }
}
