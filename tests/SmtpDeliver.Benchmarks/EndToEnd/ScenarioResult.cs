namespace SmtpDeliver.Benchmarks.EndToEnd;

/// <summary>
/// One scenario for one client: medians of the repetitions. <see cref="Group"/> and <see cref="X"/> place it
/// in the plot (e.g. "size", bytes; "concurrency", parallel deliveries).
/// </summary>
internal sealed record ScenarioResult(
    string Scenario,
    string Client,
    string Group,
    double X,
    int Messages,
    double MessagesPerSecond,
    double MegabytesPerSecond,
    double FlightsPerMessage,
    double AllocatedPerMessage,
    bool Verified,
    string Note)
{
    /// <summary>Median over paired repetitions of this client's msgs/s over MailKit's; NaN when not compared.</summary>
    public double RatioMailKit { get; init; } = double.NaN;

    /// <summary>The same against MailKit with NoDelay.</summary>
    public double RatioMailKitNoDelay { get; init; } = double.NaN;
}
