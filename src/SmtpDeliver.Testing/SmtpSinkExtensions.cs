namespace SmtpDeliver.Testing;

/// <summary>The ESMTP extensions an <see cref="SmtpSink"/> announces in its EHLO reply and implements.</summary>
[Flags]
public enum SmtpSinkExtensions
{
    /// <summary>None: a plain RFC 5321 server.</summary>
    None = 0,
    /// <summary>PIPELINING (RFC 2920): replies to a group of commands are written together.</summary>
    Pipelining = 1 << 0,
    /// <summary>STARTTLS (RFC 3207) with <see cref="SmtpSinkOptions.Certificate"/>; not announced after TLS.</summary>
    StartTls = 1 << 1,
    /// <summary>CHUNKING (RFC 3030): BDAT.</summary>
    Chunking = 1 << 2,
    /// <summary>SIZE (RFC 1870) with <see cref="SmtpSinkOptions.MaxMessageSize"/>.</summary>
    Size = 1 << 3,
    /// <summary>8BITMIME (RFC 6152).</summary>
    EightBitMime = 1 << 4,
    /// <summary>SMTPUTF8 (RFC 6531).</summary>
    SmtpUtf8 = 1 << 5,
    /// <summary>DSN (RFC 3461).</summary>
    Dsn = 1 << 6,
    /// <summary>ENHANCEDSTATUSCODES (RFC 2034).</summary>
    EnhancedStatusCodes = 1 << 7,
    /// <summary>REQUIRETLS (RFC 8689), announced only after TLS.</summary>
    RequireTls = 1 << 8,
    /// <summary>LIMITS (RFC 9422) with <see cref="SmtpSinkOptions.Limits"/>.</summary>
    Limits = 1 << 9,
    /// <summary>AUTH (RFC 4954) with <see cref="SmtpSinkOptions.AuthMechanisms"/>; PLAIN is built in.</summary>
    Auth = 1 << 10,
    /// <summary>BINARYMIME (RFC 3030 3).</summary>
    BinaryMime = 1 << 11,
}
