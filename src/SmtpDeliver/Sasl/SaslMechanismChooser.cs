namespace SmtpDeliver.Sasl;

/// <summary>
/// Picks the strongest mechanism both sides support for the given credentials:
/// SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN (passwords);
/// OAUTHBEARER, XOAUTH2 (tokens); EXTERNAL (client certificate). -PLUS only when
/// <see cref="SaslChooserOptions.AllowTlsUniqueChannelBinding"/> is set and the connection has channel
/// binding data (TLS 1.2), or when named explicitly. Whether any mechanism may run on the connection is
/// decided by the client (<see cref="SmtpSessionOptions.AuthSecurity"/>: verified TLS by default).
/// </summary>
public static class SaslMechanismChooser
{
    private static readonly string[] PasswordOrder = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"];
    private static readonly string[] TokenOrder = ["OAUTHBEARER", "XOAUTH2"];

    /// <summary>
    /// A selector for <see cref="SmtpSessionOptions.Auth"/>.
    /// </summary>
    /// <param name="credentials">What to authenticate with.</param>
    /// <param name="mechanism">A mechanism to use instead of choosing; it must be offered by the server.</param>
    /// <param name="options">Channel binding and the SCRAM iteration cap; <see cref="SaslChooserOptions.Default"/> when <c>null</c>.</param>
    public static SaslClientSelector Selector(SaslCredentials credentials, string? mechanism = null, SaslChooserOptions? options = null) =>
        (serverMechanisms, tls) => Choose(serverMechanisms, tls, credentials, mechanism, options);

    /// <summary>Chooses and creates the mechanism.</summary>
    /// <exception cref="SaslException">No usable mechanism: <see cref="SaslErrorReason.NoCommonMechanism"/>, <see cref="SaslErrorReason.UnsupportedMechanism"/> or <see cref="SaslErrorReason.InvalidCredentials"/>.</exception>
    public static ISaslClient Choose(IReadOnlyList<string> serverMechanisms, Tls.TlsConnectionInfo? tls, SaslCredentials credentials, string? mechanism = null, SaslChooserOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(serverMechanisms);
        ArgumentNullException.ThrowIfNull(credentials);
        options ??= SaslChooserOptions.Default;
        var offered = new HashSet<string>(serverMechanisms, StringComparer.OrdinalIgnoreCase);
        // RFC 7677 4 / RFC 7627: tls-unique is only safe with the extended master secret, which SslStream
        // cannot confirm; bind only when the caller opted in (or names a -PLUS mechanism below).
        var binding = tls?.TlsUnique;
        var mayBind = binding is not null && options.AllowTlsUniqueChannelBinding;
        string name;
        if (mechanism is not null)
        {
            name = mechanism.ToUpperInvariant();
            if (!offered.Contains(name))
            {
                throw new SaslException(SaslErrorReason.NoCommonMechanism, $"server does not offer {name}; it offers {Describe(serverMechanisms)}");
            }
        }
        else
        {
            var order = credentials.UseClientCertificate ? ["EXTERNAL"] : credentials.AccessToken is not null ? TokenOrder : PasswordOrder;
            name = order.FirstOrDefault(m => offered.Contains(m) && (!m.EndsWith("-PLUS", StringComparison.Ordinal) || mayBind))
                ?? throw new SaslException(SaslErrorReason.NoCommonMechanism, $"no mechanism in common for these credentials; server offers {Describe(serverMechanisms)}");
        }
        // RFC 5802 6: gs2 flag "y" only when we would have bound; when we chose not to, "n".
        return Create(name, credentials, binding, clientCouldBind: mayBind, options.ScramMaxIterations);
    }

    private static ISaslClient Create(string name, SaslCredentials c, byte[]? binding, bool clientCouldBind, int maxIterations) => name switch
    {
        "SCRAM-SHA-256-PLUS" => new SaslScram(ScramHash.Sha256, c.Username, Password(c), binding ?? throw NoBinding(name)) { MaxIterations = maxIterations },
        "SCRAM-SHA-256" => new SaslScram(ScramHash.Sha256, c.Username, Password(c), null, clientCouldBind) { MaxIterations = maxIterations },
        "SCRAM-SHA-1-PLUS" => new SaslScram(ScramHash.Sha1, c.Username, Password(c), binding ?? throw NoBinding(name)) { MaxIterations = maxIterations },
        "SCRAM-SHA-1" => new SaslScram(ScramHash.Sha1, c.Username, Password(c), null, clientCouldBind) { MaxIterations = maxIterations },
        "CRAM-MD5" => new SaslCramMd5(c.Username, Password(c)),
        "PLAIN" => new SaslPlain(c.Username, Password(c)),
        "LOGIN" => new SaslLogin(c.Username, Password(c)),
        "EXTERNAL" => new SaslExternal(c.UseClientCertificate ? string.Empty : c.Username),
        "XOAUTH2" => new SaslXOAuth2(c.Username, c.AccessToken ?? throw Missing(name, "an access token")),
        "OAUTHBEARER" => new SaslOAuthBearer(c.Username, c.AccessToken ?? throw Missing(name, "an access token"), c.OAuthHost, c.OAuthPort),
        _ => throw new SaslException(SaslErrorReason.UnsupportedMechanism, $"mechanism {name} is not supported"),
    };

    private static string Password(SaslCredentials c) => c.Password ?? throw Missing("this mechanism", "a password");

    private static SaslException Missing(string name, string what) => new(SaslErrorReason.InvalidCredentials, $"{name} needs {what}");

    private static SaslException NoBinding(string name) => new(SaslErrorReason.ChannelBindingUnavailable, $"{name} needs tls-unique channel binding, which this connection does not offer");

    private static string Describe(IReadOnlyList<string> mechanisms) => mechanisms.Count == 0 ? "none" : string.Join(", ", mechanisms);
}
