namespace SmtpDeliver.Delivery;

/// <summary>
/// How one delivery attempt was secured, in the words Postfix's smtp(8) uses in its logs and
/// smtp_tls_security_level / smtp_requiretls_policy terms (<see cref="ToString"/> gives them exactly):
/// "none", "untrusted", "verified", "dane", "tls-failed", and with REQUIRETLS "requiretls",
/// "requiretls:nocertmatch", "requiretls:none", "requiretls:nostarttls".
/// </summary>
public readonly struct TlsStatus : IEquatable<TlsStatus>
{
    private readonly string? _text;

    private TlsStatus(string text) => _text = text;

    /// <summary>No TLS.</summary>
    public static TlsStatus None { get; } = new("none");

    /// <summary>TLS, but the certificate was not verified (or its verification was not required).</summary>
    public static TlsStatus Untrusted { get; } = new("untrusted");

    /// <summary>TLS with a PKIX-verified certificate.</summary>
    public static TlsStatus Verified { get; } = new("verified");

    /// <summary>TLS with a certificate matching a DANE TLSA record.</summary>
    public static TlsStatus Dane { get; } = new("dane");

    /// <summary>The TLS handshake or its verification failed.</summary>
    public static TlsStatus TlsFailed { get; } = new("tls-failed");

    /// <summary>REQUIRETLS met: verified TLS to a server announcing REQUIRETLS (RFC 8689 4.2.1).</summary>
    public static TlsStatus RequireTls { get; } = new("requiretls");

    /// <summary>REQUIRETLS requested, but the certificate was not verified well enough.</summary>
    public static TlsStatus RequireTlsNoCertMatch { get; } = new("requiretls:nocertmatch");

    /// <summary>REQUIRETLS requested, verified TLS, but the server does not announce REQUIRETLS.</summary>
    public static TlsStatus RequireTlsNotAnnounced { get; } = new("requiretls:none");

    /// <summary>REQUIRETLS requested, but there was no TLS.</summary>
    public static TlsStatus RequireTlsNoStartTls { get; } = new("requiretls:nostarttls");

    /// <summary>The status as Postfix logs it.</summary>
    public override string ToString() => _text ?? "none";

    /// <inheritdoc/>
    public bool Equals(TlsStatus other) => string.Equals(ToString(), other.ToString(), StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TlsStatus other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    /// <summary>Equality.</summary>
    public static bool operator ==(TlsStatus left, TlsStatus right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TlsStatus left, TlsStatus right) => !left.Equals(right);
}
