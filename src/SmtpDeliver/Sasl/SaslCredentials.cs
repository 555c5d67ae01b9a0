namespace SmtpDeliver.Sasl;

/// <summary>What the client authenticates with. <see cref="ToString"/> never shows secrets.</summary>
public sealed record SaslCredentials
{
    /// <summary>The user name (authentication identity).</summary>
    public string Username { get; init; } = string.Empty;

    /// <summary>The password, for PLAIN, LOGIN, CRAM-MD5 and SCRAM.</summary>
    public string? Password { get; init; }

    /// <summary>An OAuth 2.0 access token, for XOAUTH2 and OAUTHBEARER.</summary>
    public string? AccessToken { get; init; }

    /// <summary>Authenticate with the TLS client certificate (EXTERNAL).</summary>
    public bool UseClientCertificate { get; init; }

    /// <summary>Host name and port for OAUTHBEARER's gs2 data.</summary>
    public string OAuthHost { get; init; } = string.Empty;

    /// <inheritdoc cref="OAuthHost"/>
    public int OAuthPort { get; init; }

    /// <summary>A password credential.</summary>
    public static SaslCredentials WithPassword(string username, string password) => new() { Username = username, Password = password };

    /// <summary>Shows the user name only.</summary>
    public override string ToString() => $"SaslCredentials {{ Username = {Username} }}";
}
