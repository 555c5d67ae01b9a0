using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// EXTERNAL (RFC 4422 appendix A): authentication by the TLS client certificate; the only message is
/// the authorization identity, empty to take the one the certificate implies.
/// </summary>
public sealed class SaslExternal(string authorizationIdentity = "") : ISaslClient
{
    private int _step;

    /// <inheritdoc/>
    public string Name => "EXTERNAL";

    /// <inheritdoc/>
    public bool SendsCleartextCredentials => false;

    /// <inheritdoc/>
    public ValueTask<SaslStep> NextStepAsync(byte[]? fromServer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Step());
    }

    private SaslStep Step()
    {
        if (_step++ != 0)
        {
            throw new SaslException(SaslErrorReason.UnexpectedStep, "EXTERNAL has a single step");
        }
        return new SaslStep(Encoding.UTF8.GetBytes(authorizationIdentity), true);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
