namespace SmtpDeliver;

/// <summary>What a message needs from the server; checked before anything is sent.</summary>
[Flags]
public enum DeliveryRequirements
{
    /// <summary>A 7-bit ASCII message with ASCII addresses; nothing needed.</summary>
    None = 0,
    /// <summary>The message has 8-bit content: needs 8BITMIME (RFC 6152), sent as BODY=8BITMIME. Missing support is a permanent failure.</summary>
    EightBitMime = 1,
    /// <summary>Addresses or headers are internationalised: needs SMTPUTF8 (RFC 6531). Missing support is a transient failure.</summary>
    SmtpUtf8 = 2,
    /// <summary>The sender requested REQUIRETLS (RFC 8689): needs the extension, sent as MAIL parameter. Missing support is a transient failure.</summary>
    RequireTls = 4,
    /// <summary>
    /// The message has binary content (lines of any length, bare CR or LF, NUL): needs BINARYMIME and CHUNKING
    /// (RFC 3030 3), sent as BODY=BINARYMIME in BDAT chunks. Missing support is a permanent failure.
    /// </summary>
    BinaryMime = 8,
}
