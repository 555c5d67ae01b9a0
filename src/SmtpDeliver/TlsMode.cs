namespace SmtpDeliver;

/// <summary>How the client secures the connection with TLS.</summary>
public enum TlsMode
{
    /// <summary>
    /// STARTTLS when the server announces it, otherwise plaintext (RFC 3207). A TLSRPT
    /// "starttls-not-supported" detail is recorded when the server does not announce it.
    /// </summary>
    Opportunistic,
    /// <summary>Always send STARTTLS, even when not announced; a refusal fails the connection.</summary>
    RequiredStartTls,
    /// <summary>TLS handshake immediately on connect, before the greeting (implicit TLS, RFC 8314, e.g. port 465).</summary>
    Implicit,
    /// <summary>Never use TLS.</summary>
    None,
}
