using System.Diagnostics;

namespace SmtpDeliver.Tests.Support;

/// <summary>
/// Listens to the "SmtpDeliver" activity source and keeps the stopped activities of one trace: the test
/// starts a root activity, so activities of tests running in parallel are ignored.
/// </summary>
public sealed class ActivityCollector : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly List<Activity> _stopped = [];

    public ActivityCollector()
    {
        Root = new Activity("test root").SetIdFormat(ActivityIdFormat.W3C).Start();
        var traceId = Root.TraceId;
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "SmtpDeliver",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId == traceId)
                {
                    lock (_stopped)
                    {
                        _stopped.Add(a);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The parent of everything this test starts.</summary>
    public Activity Root { get; }

    public IReadOnlyList<Activity> Stopped
    {
        get
        {
            lock (_stopped)
            {
                return [.. _stopped];
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Root.Stop();
    }
}
