namespace SmtpDeliver.IntegrationTests;

/// <summary>
/// Facts about the integration environment that tests/integration-env/up.sh started: each component
/// (postfix, dovecot, dns, …) writes <c>$SMTPDELIVER_ENV/&lt;component&gt;.env</c> with KEY=VALUE lines.
/// A missing file or key fails the test with a message naming the command to run; integration tests
/// never pass without the real servers.
/// </summary>
internal static class IntegrationEnvironment
{
    /// <summary>The folder holding the component facts; <c>$SMTPDELIVER_ENV</c>, default /tmp/smtpdeliver-itest.</summary>
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("SMTPDELIVER_ENV") is { Length: > 0 } dir ? dir : "/tmp/smtpdeliver-itest";

    /// <summary>The value of <paramref name="key"/> for <paramref name="component"/>.</summary>
    public static string Get(string component, string key)
    {
        var path = Path.Combine(Directory, component + ".env");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"integration environment component '{component}' is not running ({path} missing); run ./test.sh, or tests/integration-env/up.sh first");
        }
        foreach (var line in File.ReadLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && line.AsSpan(0, eq).SequenceEqual(key))
            {
                return line[(eq + 1)..];
            }
        }
        throw new InvalidOperationException($"integration environment component '{component}' has no {key} in {path}");
    }

    /// <summary>The integer value of <paramref name="key"/> for <paramref name="component"/>.</summary>
    public static int GetInt(string component, string key) =>
        int.Parse(Get(component, key), System.Globalization.CultureInfo.InvariantCulture);
}
