using System.Diagnostics;

namespace SmtpDeliver.IntegrationTests.Dns;

/// <summary>
/// Runs Postfix's DANE prober <c>posttls-finger</c> against a destination and reads its verdict. It
/// resolves through the libc resolver, which only speaks to port 53 and passes on the AD bit only with
/// <c>options trust-ad</c>: it runs in a private mount namespace (<c>unshare -m</c>, we are root here and
/// in CI) where /etc/resolv.conf is a bind-mounted file naming the test unbound's port-53 listener
/// (<c>LIBC_RESOLVER</c> in dns.env). Nothing outside the namespace sees that resolv.conf.
/// </summary>
internal static class PosttlsFinger
{
    /// <summary>The program; installed with the postfix package.</summary>
    public const string Program = "/usr/sbin/posttls-finger";

    /// <summary>Probes <paramref name="destination"/> ("domain:port" with MX lookup) at security level dane, verbosely.</summary>
    public static async Task<string> ProbeAsync(string destination)
    {
        var resolvConf = Path.Combine(Path.GetTempPath(), $"smtpdeliver-posttls-resolv-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(resolvConf, $"nameserver {IntegrationEnvironment.Get("dns", "LIBC_RESOLVER")}\noptions trust-ad\n");
        try
        {
            return await RunAsync(resolvConf, destination);
        }
        finally
        {
            File.Delete(resolvConf);
        }
    }

    private static async Task<string> RunAsync(string resolvConf, string destination)
    {
        var info = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-m", "sh", "-c", "mount --bind \"$1\" /etc/resolv.conf && shift && exec \"$@\"", "sh", resolvConf,
            Program, "-c", "-v", "-l", "dane", "-L", "routine,certmatch", "-t", "10", "-T", "10", destination })
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return await stdout + await stderr;
    }

    /// <summary>
    /// The verdict in our terms: "not-applicable" when posttls-finger resorted to the "secure" level (no
    /// secure TLSA records, only unusable ones, or an insecure host), "verified" when a TLSA record
    /// matched and the connection was verified, "failed" when DANE applied and did not verify.
    /// </summary>
    public static string Verdict(string output)
    {
        if (!output.Contains("TLS connection established", StringComparison.Ordinal))
        {
            return "no-tls-connection";
        }
        if (output.Contains("resorting to \"secure\"", StringComparison.Ordinal))
        {
            return "not-applicable";
        }
        return output.Contains("Verified TLS connection", StringComparison.Ordinal) && output.Contains("Matched DANE", StringComparison.Ordinal)
            ? "verified"
            : "failed";
    }
}
