namespace QueueWorker;

/// <summary>What a spooled message is; decides what happens after its delivery attempts.</summary>
internal enum SpoolMessageKind
{
    /// <summary>An ordinary message: failures and delays are notified to its sender.</summary>
    Message,

    /// <summary>A delivery status notification sent with MAIL FROM:&lt;&gt;: never notified on (RFC 5321 6.1).</summary>
    Bounce,

    /// <summary>A TLSRPT report message: its TLSRPT results are not recorded (RFC 8460 3), its failures only logged.</summary>
    TlsRptReport,
}
