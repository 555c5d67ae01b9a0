using System.Net;
using System.Net.Sockets;

namespace SmtpDeliver.IntegrationTests.Cli;

/// <summary>Issue 11 items 1 and 2 at the command line: input checked before connecting, submission verified by default.</summary>
public class CliInputTests
{
    private static string Ca => IntegrationEnvironment.Get("postfix", "CA_CERT");

    /// <summary>Runs the command against a listener that only counts connections.</summary>
    private static async Task<(SmtpDeliverCommand.Run Run, int Connections)> RunAgainstCounterAsync(params string[] args)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connections = 0;
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var s = await listener.AcceptSocketAsync(stop.Token);
                    Interlocked.Increment(ref connections);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        try
        {
            var run = await SmtpDeliverCommand.RunAsync(null, ["send", "--server", $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", "--timeout", "3", .. args]);
            return (run, Volatile.Read(ref connections));
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            await accepting;
        }
    }

    // Failed before the fix: the connection was opened, then the EHLO name failed to parse with an
    // unhandled exception and a stack trace.
    [Theory]
    [InlineData("--ehlo", "client.example\r\nMAIL FROM:<x@y>")]
    [InlineData("--ehlo", "bad name")]
    [InlineData("--to", "user@example.test>\r\nRCPT TO:<hidden@evil.example")]
    [InlineData("--from", "a@b\r\nDATA")]
    [InlineData("--resolver", "not-an-address")]
    public async Task Bad_input_exits_64_with_one_line_before_connecting(string option, string value)
    {
        string[] args = option switch
        {
            "--to" => ["--from", "a@client.example.test", "--to", value],
            "--from" => ["--from", value, "--to", "user@example.test"],
            _ => ["--from", "a@client.example.test", "--to", "user@example.test", option, value],
        };
        var (run, connections) = await RunAgainstCounterAsync(args);
        Assert.Equal(64, run.ExitCode);
        Assert.Equal(0, connections);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("smtpdeliver send: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    // Review of issue 11: an unreadable password file ended in a stack trace.
    [Fact]
    public async Task Unreadable_password_file_exits_65_with_one_line_before_connecting()
    {
        var (run, connections) = await RunAgainstCounterAsync("--from", "a@client.example.test", "--to", "user@example.test", "--user", "u", "--password-file", "/nonexistent/password");
        Assert.Equal(65, run.ExitCode);
        Assert.Equal(0, connections);
        Assert.StartsWith("smtpdeliver send: --password-file", Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    // Failed before the fix: --user went over opportunistic TLS without verifying the certificate, so the
    // credentials went to whoever answered with any certificate.
    [Fact]
    public async Task Send_with_user_requires_a_verified_certificate_by_default()
    {
        var pw = Path.GetTempFileName();
        await File.WriteAllTextAsync(pw, IntegrationEnvironment.Get("postfix", "SASL_PASSWORD"));
        try
        {
            string[] common = ["send", "--server", "127.0.0.1:" + IntegrationEnvironment.Get("postfix", "SUBMISSION_PORT"), "--remote-name", "mx.example.test",
                "--user", IntegrationEnvironment.Get("postfix", "SASL_USER"), "--password-file", pw, "--from", IntegrationEnvironment.Get("postfix", "SASL_USER"), "--to", "rcpt3@example.test", "--trace"];
            // The test CA is not in the system roots: refused before AUTH.
            var refused = await SmtpDeliverCommand.RunAsync(null, common);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.DoesNotContain("C: AUTH", refused.Stderr, StringComparison.Ordinal);
            Assert.Contains("certificate", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
            // With the CA given, the same command submits over verified STARTTLS.
            var ok = await SmtpDeliverCommand.RunAsync(null, [.. common, "--ca-file", Ca]);
            Assert.Equal(0, ok.ExitCode);
            Assert.Contains("C: STARTTLS", ok.Stderr, StringComparison.Ordinal);
            Assert.Contains("C: AUTH", ok.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(pw);
        }
    }
}
