using System.Text;

namespace SmtpDeliver.Smtp;

/// <summary>
/// Enhanced status codes (RFC 3463) without their class digit, as reported in
/// <see cref="SmtpDeliver.SmtpResponse.Secode"/>: "subject.detail", e.g. "7.1". The common ones are shared strings,
/// so parsing a reply does not allocate for them.
/// </summary>
public static class EnhancedCodes
{
    /// <summary>Other undefined status, "X.0.0".</summary>
    public const string OtherUndefined = "0.0";
    /// <summary>Other address status, "X.1.0" (e.g. "250 2.1.0 sender ok").</summary>
    public const string OtherAddress = "1.0";
    /// <summary>Bad destination mailbox address, "X.1.1".</summary>
    public const string BadDestinationMailbox = "1.1";
    /// <summary>Destination address valid, "X.1.5" (e.g. "250 2.1.5 recipient ok").</summary>
    public const string DestinationAddressValid = "1.5";
    /// <summary>Mailbox full, "X.2.2".</summary>
    public const string MailboxFull = "2.2";
    /// <summary>Message length exceeds administrative limit, "X.3.4".</summary>
    public const string MessageTooBig = "3.4";
    /// <summary>Other or undefined mail system status, "X.3.0".</summary>
    public const string OtherMailSystem = "3.0";
    /// <summary>Other or undefined protocol status, "X.5.0".</summary>
    public const string OtherProtocol = "5.0";
    /// <summary>Too many recipients, "X.5.3".</summary>
    public const string TooManyRecipients = "5.3";
    /// <summary>Other or undefined media error, "X.6.0" (e.g. "250 2.6.0 message accepted").</summary>
    public const string OtherMedia = "6.0";
    /// <summary>Other or undefined security status, "X.7.0" (e.g. "530 5.7.0 Must issue a STARTTLS command first").</summary>
    public const string OtherSecurity = "7.0";
    /// <summary>Delivery not authorized, message refused, "X.7.1".</summary>
    public const string DeliveryNotAuthorized = "7.1";
    /// <summary>Authentication credentials invalid, "X.7.8".</summary>
    public const string AuthCredentialsInvalid = "7.8";
    /// <summary>REQUIRETLS support required, "X.7.30" (RFC 8689).</summary>
    public const string RequireTlsRequired = "7.30";

    private static readonly string[] Common =
    [
        OtherUndefined, OtherAddress, BadDestinationMailbox, DestinationAddressValid, MailboxFull, MessageTooBig,
        OtherMailSystem, OtherProtocol, TooManyRecipients, OtherMedia, OtherSecurity, DeliveryNotAuthorized,
        AuthCredentialsInvalid, RequireTlsRequired,
    ];

    /// <summary>The code for the given ASCII bytes, e.g. "7.1"; a shared string for common codes.</summary>
    public static string Get(ReadOnlySpan<byte> ascii)
    {
        foreach (var c in Common)
        {
            if (ascii.Length == c.Length && Ascii.Equals(ascii, c))
            {
                return c;
            }
        }
        return Encoding.ASCII.GetString(ascii);
    }
}
