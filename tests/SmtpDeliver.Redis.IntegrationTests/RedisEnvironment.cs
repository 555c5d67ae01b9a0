using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace SmtpDeliver.Redis.IntegrationTests;

/// <summary>
/// The redis-server that tests/integration-env/redis/up.sh started: <c>$SMTPDELIVER_ENV/redis.env</c> with
/// REDIS_HOST and REDIS_PORT (read as tests/SmtpDeliver.IntegrationTests/IntegrationEnvironment.cs reads the other
/// components). A missing file fails the test with the command to run: these tests never pass without Redis.
/// </summary>
internal static class RedisEnvironment
{
    private static string Directory { get; } =
        Environment.GetEnvironmentVariable("SMTPDELIVER_ENV") is { Length: > 0 } dir ? dir : "/tmp/smtpdeliver-itest";

    private static string Get(string key)
    {
        var path = Path.Combine(Directory, "redis.env");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"integration environment component 'redis' is not running ({path} missing); run ./test.sh, or tests/integration-env/up.sh first");
        }
        foreach (var line in File.ReadLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && line.AsSpan(0, eq).SequenceEqual(key))
            {
                return line[(eq + 1)..];
            }
        }
        throw new InvalidOperationException($"integration environment component 'redis' has no {key} in {path}");
    }

    /// <summary>A new connection to the test Redis: one per simulated worker.</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync() => ConnectAsync(Get("REDIS_HOST"), int.Parse(Get("REDIS_PORT"), System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A connection to a loopback port where nothing listens: Redis down.</summary>
    public static Task<ConnectionMultiplexer> ConnectUnreachableAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return ConnectAsync("127.0.0.1", port);
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string host, int port)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { host, port } },
            AbortOnConnectFail = false,
            // A command while disconnected fails at once instead of waiting in a backlog (docs/redis.md).
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectRetry = 1,
        };
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string UniquePrefix() => $"test:{Guid.NewGuid():N}:";

    /// <summary>Options over <paramref name="connection"/> with <paramref name="prefix"/>.</summary>
    public static SmtpDeliverRedisOptions Options(IConnectionMultiplexer connection, string prefix, Microsoft.Extensions.Logging.ILogger? logger = null) =>
        new() { Connection = connection, KeyPrefix = prefix, Logger = logger };
}
