namespace SmtpDeliver.Sasl;

/// <summary>The server-first message of SCRAM (RFC 5802 7): nonce, salt and iteration count.</summary>
/// <param name="Nonce">The combined nonce: ours followed by the server's part.</param>
/// <param name="Salt">The decoded salt.</param>
/// <param name="Iterations">The PBKDF2 iteration count.</param>
internal sealed record ScramServerFirst(string Nonce, byte[] Salt, int Iterations)
{
    /// <summary>Parses "r=…,s=…,i=…[,extensions]"; a mandatory extension "m=" is refused.</summary>
    /// <exception cref="SaslException">The message is malformed.</exception>
    public static ScramServerFirst Parse(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var parts = message.Split(',');
        if (parts[0].StartsWith("m=", StringComparison.Ordinal))
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "scram server requires an extension we do not support");
        }
        if (parts.Length < 3)
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "scram server-first message needs nonce, salt and iterations");
        }
        var nonce = Attribute(parts[0], 'r');
        if (nonce.Length == 0 || nonce.Any(c => c is < (char)0x21 or > (char)0x7e or ','))
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "scram server nonce is empty or has invalid characters");
        }
        byte[] salt;
        try
        {
            salt = Convert.FromBase64String(Attribute(parts[1], 's'));
        }
        catch (FormatException e)
        {
            throw new SaslException("scram salt is not valid base64", e);
        }
        var iterationText = Attribute(parts[2], 'i');
        if (iterationText.Length is 0 or > 9 || !iterationText.All(char.IsAsciiDigit))
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "scram iteration count is not a number");
        }
        foreach (var extension in parts.AsSpan(3))
        {
            // Unknown optional extensions are ignored, but must be attribute=value.
            if (extension.Length < 2 || !char.IsAsciiLetter(extension[0]) || extension[1] != '=')
            {
                throw new SaslException(SaslErrorReason.MalformedChallenge, "scram server-first message has a malformed extension");
            }
        }
        return new ScramServerFirst(nonce, salt, int.Parse(iterationText, System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static string Attribute(string part, char name)
    {
        if (part.Length < 2 || part[0] != name || part[1] != '=')
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, $"scram message lacks attribute {name}=");
        }
        return part[2..];
    }
}

/// <summary>The server-final message of SCRAM (RFC 5802 7): the server's signature, or an error.</summary>
internal static class ScramServerFinal
{
    /// <summary>Parses "v=base64" and returns the signature; "e=error" becomes a <see cref="SaslErrorReason.ServerError"/>.</summary>
    /// <exception cref="SaslException">The server reported an error or the message is malformed.</exception>
    public static byte[] Parse(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var first = message.Split(',')[0];
        if (first.StartsWith("e=", StringComparison.Ordinal))
        {
            var error = first[2..];
            throw new SaslException(SaslErrorReason.ServerError, $"scram error from server: {(error.Length > 100 ? error[..100] : error)}");
        }
        try
        {
            return Convert.FromBase64String(ScramServerFirst.Attribute(first, 'v'));
        }
        catch (FormatException e)
        {
            throw new SaslException("scram server signature is not valid base64", e);
        }
    }
}
