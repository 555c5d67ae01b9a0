using System.Diagnostics.Metrics;

namespace SmtpDeliver.Tests.Support;

/// <summary>
/// An <see cref="IMeterFactory"/> without dependency injection: its meters are scoped to it, so a
/// MetricCollector on it sees only what the code given this factory measured, not parallel tests.
/// </summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters)
        {
            _meters.Add(meter);
        }
        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var m in _meters)
            {
                m.Dispose();
            }
            _meters.Clear();
        }
    }
}
