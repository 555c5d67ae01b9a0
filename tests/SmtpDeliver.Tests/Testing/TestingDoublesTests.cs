using Microsoft.Extensions.Logging;

namespace SmtpDeliver.Tests.Testing;

/// <summary>The scripted server's session and the capturing logger.</summary>
public class TestingDoublesTests
{
    [Fact]
    public async Task Scripted_session_counts_flights_and_reads_bdat_chunks_exactly()
    {
        var flights = 0;
        await using var s = ScriptedSmtpServer.Start(async session =>
        {
            await session.WriteLineAsync("220 hi");
            await session.ExpectAsync("BDAT 4 LAST");
            var chunk = await session.ReadExactAsync(4);
            Assert.Equal("a\r\nb"u8.ToArray(), chunk);
            await session.ExpectAsync("QUIT");
            flights = session.Flights;
            await session.WriteLineAsync("221 bye");
        });
        using var socket = await s.ConnectAsync();
        var buffer = new byte[100];
        await socket.ReceiveAsync(buffer);
        await socket.SendAsync("BDAT 4 LAST\r\na\r\nbQUIT\r\n"u8.ToArray());
        await socket.ReceiveAsync(buffer);
        await s.CompletionAsync();
        Assert.Equal(1, flights);
        Assert.Equal(["S: 220 hi", "C: BDAT 4 LAST", "C: [4 bytes]", "C: QUIT", "S: 221 bye"], s.Transcript);
    }

    [Fact]
    public void Capturing_logger_keeps_entries_from_its_minimum_level()
    {
        var logger = new CapturingLogger { MinimumLevel = LogLevel.Debug };
        logger.Log(LogLevel.Trace, default, "trace", null, (m, _) => m);
        logger.Log(LogLevel.Debug, default, "debug", null, (m, _) => m);
        logger.Log(LogLevel.Warning, default, "warn", new InvalidOperationException("boom"), (m, _) => m);
        Assert.False(logger.IsEnabled(LogLevel.Trace));
        Assert.Equal([LogLevel.Debug, LogLevel.Warning], logger.Entries.Select(e => e.Level));
        Assert.Equal("debug", logger.Lines[0]);
        Assert.StartsWith("warn System.InvalidOperationException: boom", logger.Lines[1], StringComparison.Ordinal);
    }
}
