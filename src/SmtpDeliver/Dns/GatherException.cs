namespace SmtpDeliver.Dns;

/// <summary>Why gathering delivery destinations failed.</summary>
internal enum GatherError
{
    /// <summary>A CNAME chain loops.</summary>
    CnameLoop,
    /// <summary>A CNAME chain is longer than allowed.</summary>
    CnameLimit,
    /// <summary>A DNS lookup failed, or its answer was unusable; see <see cref="GatherException.DnsStatus"/>.</summary>
    Dns,
    /// <summary>The domain publishes a null MX (RFC 7505): it accepts no mail.</summary>
    NoMail,
}

/// <summary>Gathering destinations, addresses or TLSA records failed.</summary>
internal sealed class GatherException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GatherException(GatherError error, bool permanent, string message, DnsStatus? dnsStatus = null) : base(message)
    {
        Error = error;
        Permanent = permanent;
        DnsStatus = dnsStatus;
    }

    /// <summary>Creates the exception (transient DNS error).</summary>
    public GatherException(string message) : this(GatherError.Dns, false, message)
    {
    }

    /// <summary>Creates the exception with a cause (transient DNS error).</summary>
    public GatherException(string message, Exception innerException) : base(message, innerException) => Error = GatherError.Dns;

    /// <summary>Creates the exception (transient DNS error).</summary>
    public GatherException() : this("dns lookup error")
    {
    }

    /// <summary>What went wrong.</summary>
    public GatherError Error { get; }

    /// <summary>True when retrying later will not help (null MX, malformed MX host).</summary>
    public bool Permanent { get; }

    /// <summary>For <see cref="GatherError.Dns"/>: whether the name did not exist or the lookup failed.</summary>
    public DnsStatus? DnsStatus { get; }
}
