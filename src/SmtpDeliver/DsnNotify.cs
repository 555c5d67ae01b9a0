namespace SmtpDeliver;

/// <summary>
/// When a recipient's delivery status notification is wanted: the NOTIFY parameter of RCPT (RFC 3461 4.1).
/// <see cref="Never"/> must stand alone (RFC 3461 4.1); combining it with another value is an
/// <see cref="ArgumentException"/> when the transaction starts.
/// </summary>
[Flags]
public enum DsnNotify
{
    /// <summary>No NOTIFY parameter: the server applies its default (failure and perhaps delay notifications).</summary>
    Default = 0,
    /// <summary><c>NOTIFY=NEVER</c>: no notification at all; not combinable with other values.</summary>
    Never = 1,
    /// <summary>A notification on successful delivery (<c>SUCCESS</c>).</summary>
    Success = 2,
    /// <summary>A notification on failure (<c>FAILURE</c>).</summary>
    Failure = 4,
    /// <summary>A notification when delivery is delayed (<c>DELAY</c>).</summary>
    Delay = 8,
}
