namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>Why a report destination (rua, RFC 8460 3) is not used.</summary>
public enum TlsRptRuaRefusal
{
    /// <summary>Neither mailto: nor https: (RFC 8460 3 defines only those two).</summary>
    UnsupportedScheme,
    /// <summary>http: without TLS; reports are only posted over https (RFC 8460 5.4).</summary>
    NotHttps,
    /// <summary>An IP address instead of a host name: nothing to check a certificate against, and a way to aim at internal hosts.</summary>
    IpLiteral,
    /// <summary>An https URI with user information ("user:password@"): never sent.</summary>
    UserInfo,
    /// <summary>A mailto: URI that is not one valid RFC 5321 mailbox.</summary>
    InvalidMailbox,
    /// <summary>A malformed '!' size limit.</summary>
    InvalidSizeLimit,
    /// <summary>An https URI without a usable host name.</summary>
    InvalidHost,
    /// <summary>The report is larger than the rua's '!' size limit.</summary>
    ReportTooLarge,
    /// <summary>The record names more destinations than <see cref="TlsRptReporter.MaxDestinations"/>; the rest are not used.</summary>
    TooManyDestinations,
}
