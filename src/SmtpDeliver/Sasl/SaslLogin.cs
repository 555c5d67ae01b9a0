using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// LOGIN (draft-murchison-sasl-login): the username as initial response, the password after the
/// server's prompt. Sends the password itself: use only over TLS.
/// </summary>
public sealed class SaslLogin(string username, string password) : ISaslClient
{
    private int _step;

    /// <inheritdoc/>
    public string Name => "LOGIN";

    /// <inheritdoc/>
    public bool SendsCleartextCredentials => true;

    /// <inheritdoc/>
    public ValueTask<SaslStep> NextStepAsync(byte[]? fromServer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Step());
    }

    private SaslStep Step() => _step++ switch
    {
        0 => new SaslStep(Encoding.UTF8.GetBytes(username), false),
        // The server's prompt ("Password:") carries no information.
        1 => new SaslStep(Encoding.UTF8.GetBytes(password), true),
        _ => throw new SaslException(SaslErrorReason.UnexpectedStep, "LOGIN has two steps"),
    };

    /// <summary>The mechanism name only; never credentials.</summary>
    public override string ToString() => Name;
}
