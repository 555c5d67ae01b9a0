using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using SmtpDeliver.Diagnostics;
using SmtpDeliver.Names;

namespace SmtpDeliver;

/// <summary>
/// The "SmtpDeliver" activity source: one activity per SMTP session and one per delivery attempt,
/// tagged with OpenTelemetry semantic conventions (server.address, server.port, network.peer.address,
/// tls.protocol.version, error.type); exceptions are recorded as events (docs/telemetry.md).
/// </summary>
internal static class SmtpActivitySource
{
    /// <summary>The source; listeners subscribe by <see cref="SmtpTelemetry.ActivitySourceName"/>.</summary>
    public static readonly ActivitySource Source = new(SmtpTelemetry.ActivitySourceName, SmtpTelemetry.Version);

    /// <summary>Starts the session activity (a client span), or returns <c>null</c> when nobody listens.</summary>
    public static Activity? StartSession(Domain remoteHostname, IPEndPoint? remote)
    {
        var activity = Source.StartActivity(SmtpTelemetry.SessionActivityName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            SetServer(activity, remoteHostname.IsEmpty ? null : remoteHostname.Ascii, remote);
        }
        return activity;
    }

    /// <summary>Starts the delivery attempt activity for the next hop (a domain or an address literal).</summary>
    public static Activity? StartDeliveryAttempt(string nextHop, int port)
    {
        var activity = Source.StartActivity(SmtpTelemetry.DeliveryAttemptActivityName, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("server.address", nextHop);
            activity.SetTag("server.port", port);
        }
        return activity;
    }

    /// <summary>Sets server.address (the host name, else the address), server.port and network.peer.address/port.</summary>
    public static void SetServer(Activity activity, string? hostname, IPEndPoint? remote)
    {
        var address = remote?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4().ToString() : remote?.Address.ToString();
        activity.SetTag("server.address", hostname ?? address);
        if (remote is not null)
        {
            activity.SetTag("server.port", remote.Port);
            activity.SetTag("network.peer.address", address);
            activity.SetTag("network.peer.port", remote.Port);
        }
    }

    /// <summary>Adds tls.protocol.name and tls.protocol.version after a handshake.</summary>
    public static void SetTls(Activity? activity, SslProtocols protocol)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }
        // Only TLS 1.2 and 1.3 are ever enabled (SmtpClientSession.Tls.cs).
        var version = protocol switch
        {
            SslProtocols.Tls13 => "1.3",
            SslProtocols.Tls12 => "1.2",
            _ => protocol.ToString(),
        };
        activity.SetTag("tls.protocol.name", "tls");
        activity.SetTag("tls.protocol.version", version);
    }

    /// <summary>
    /// Marks <paramref name="activity"/> failed by <paramref name="exception"/>: status Error, error.type,
    /// and an "exception" event. Only the first failure is recorded.
    /// </summary>
    public static void RecordException(Activity? activity, Exception exception)
    {
        if (activity is null || activity.Status == ActivityStatusCode.Error)
        {
            return;
        }
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetTag("error.type", ErrorType(exception));
        activity.AddException(exception);
    }

    /// <summary>Marks <paramref name="activity"/> failed without an exception.</summary>
    public static void RecordError(Activity? activity, string errorType, string description)
    {
        if (activity is null || activity.Status == ActivityStatusCode.Error)
        {
            return;
        }
        activity.SetStatus(ActivityStatusCode.Error, description);
        activity.SetTag("error.type", errorType);
    }

    /// <summary>
    /// A low-cardinality error.type: the <see cref="SmtpErrorReason"/> in snake case for an
    /// <see cref="SmtpException"/>, else the exception's full type name (as the conventions advise).
    /// </summary>
    public static string ErrorType(Exception exception) => exception switch
    {
        SmtpException e => ReasonName(e.Reason),
        OperationCanceledException => "canceled",
        _ => exception.GetType().FullName ?? exception.GetType().Name,
    };

    /// <summary>The snake-case name of an error reason, e.g. "reply_too_long".</summary>
    public static string ReasonName(SmtpErrorReason reason)
    {
        var name = reason.ToString();
        var chars = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                chars.Append('_');
            }
            chars.Append(char.ToLowerInvariant(name[i]));
        }
        return chars.ToString();
    }

    /// <summary>
    /// Stops an activity started in another flow without changing the caller's <see cref="Activity.Current"/>
    /// (Stop would set it to the activity's parent).
    /// </summary>
    public static void Stop(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }
        var current = Activity.Current;
        activity.Stop();
        Activity.Current = ReferenceEquals(current, activity) ? activity.Parent : current;
    }
}
