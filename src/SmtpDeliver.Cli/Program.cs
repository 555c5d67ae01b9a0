using System.CommandLine;
using SmtpDeliver.Cli.Demo;

namespace SmtpDeliver.Cli;

/// <summary>Entry point of the <c>smtpdeliver</c> command.</summary>
internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        var root = new RootCommand("smtpdeliver: outbound SMTP delivery with DANE, MTA-STS, REQUIRETLS and TLSRPT.");
        root.Subcommands.Add(DemoCommand.Create());
        return root.Parse(args).InvokeAsync();
    }
}
