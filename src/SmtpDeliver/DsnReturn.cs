namespace SmtpDeliver;

/// <summary>What a delivery status notification returns of the message: the RET parameter of MAIL (RFC 3461 4.3).</summary>
public enum DsnReturn
{
    /// <summary>The whole message: <c>RET=FULL</c>.</summary>
    Full,
    /// <summary>Only the headers: <c>RET=HDRS</c>.</summary>
    Headers,
}
