using SmtpDeliver.Tls;

namespace SmtpDeliver.Sasl;

/// <summary>Chooses the SASL mechanism for AUTH from the server's list; <c>null</c> when none fits.</summary>
/// <param name="serverMechanisms">The mechanisms the server announced after TLS, upper-case.</param>
/// <param name="tls">The TLS connection, or <c>null</c> when the connection is not encrypted.</param>
public delegate ISaslClient? SaslClientSelector(IReadOnlyList<string> serverMechanisms, TlsConnectionInfo? tls);
