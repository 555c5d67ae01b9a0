namespace SmtpDeliver.Sasl;

/// <summary>Choices for <see cref="SaslMechanismChooser"/> beyond the credentials.</summary>
public sealed record SaslChooserOptions
{
    /// <summary>The defaults: no tls-unique channel binding, SCRAM capped at <see cref="SaslScram.DefaultMaxIterations"/>.</summary>
    public static SaslChooserOptions Default { get; } = new();

    /// <summary>
    /// Choose SCRAM-*-PLUS with "tls-unique" channel binding (RFC 5929) on TLS 1.2 when the server offers it,
    /// and send gs2 flag "y" with plain SCRAM when it does not. Off by default. Risk: tls-unique is only
    /// unique when the TLS 1.2 session used the extended master secret (RFC 7627; RFC 7677 4, the "triple
    /// handshake" attack), and .NET's <see cref="System.Net.Security.SslStream"/> does not tell whether it
    /// was negotiated; without it, a server the client connected to can make its own connection to another
    /// server share the binding value and relay the exchange. Enable only when you know the server enforces
    /// the extended master secret. Naming a -PLUS mechanism explicitly also opts in.
    /// </summary>
    public bool AllowTlsUniqueChannelBinding { get; init; }

    /// <summary>The iteration cap for SCRAM (<see cref="SaslScram.MaxIterations"/>).</summary>
    public int ScramMaxIterations { get; init; } = SaslScram.DefaultMaxIterations;
}
