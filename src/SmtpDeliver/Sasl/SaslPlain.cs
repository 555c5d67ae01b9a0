using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// PLAIN (RFC 4616): one message, "authzid NUL authcid NUL password", sent as the initial response.
/// Sends the password itself: use only over TLS.
/// </summary>
public sealed class SaslPlain(string username, string password) : ISaslClient
{
    private int _step;

    /// <inheritdoc/>
    public string Name => "PLAIN";

    /// <inheritdoc/>
    public bool SendsCleartextCredentials => true;

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
            throw new SaslException(SaslErrorReason.UnexpectedStep, "PLAIN has a single step");
        }
        return new SaslStep(Encoding.UTF8.GetBytes($"\0{username}\0{password}"), true);
    }

    /// <summary>The mechanism name only; never credentials.</summary>
    public override string ToString() => Name;
}
