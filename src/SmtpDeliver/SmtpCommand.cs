namespace SmtpDeliver;

/// <summary>The step of the SMTP session a reply or error belongs to.</summary>
public enum SmtpCommand
{
    /// <summary>No command: a local check before anything was sent.</summary>
    None,
    /// <summary>The server's greeting (220) on connect.</summary>
    Greeting,
    /// <summary>EHLO.</summary>
    Ehlo,
    /// <summary>HELO, the fallback when EHLO is refused.</summary>
    Helo,
    /// <summary>STARTTLS and the TLS handshake after it.</summary>
    StartTls,
    /// <summary>AUTH and its continuation steps.</summary>
    Auth,
    /// <summary>MAIL FROM.</summary>
    MailFrom,
    /// <summary>RCPT TO.</summary>
    RcptTo,
    /// <summary>DATA, and the message data up to the final reply.</summary>
    Data,
    /// <summary>RSET.</summary>
    Rset,
    /// <summary>QUIT.</summary>
    Quit,
    /// <summary>BDAT (RFC 3030 2): a chunk of the message and its reply, up to the reply to the last chunk.</summary>
    Bdat,
}
