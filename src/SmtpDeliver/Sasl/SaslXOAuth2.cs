using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// XOAUTH2 (Google, Microsoft): "user=… ^A auth=Bearer token ^A ^A" as initial response. On failure the
/// server sends a JSON error as a 334 challenge, which the client answers with an empty message to get
/// the final 535. The token is a bearer credential: use only over TLS.
/// </summary>
public sealed class SaslXOAuth2(string username, string accessToken) : ISaslClient
{
    private int _step;

    /// <inheritdoc/>
    public string Name => "XOAUTH2";

    /// <inheritdoc/>
    public bool SendsCleartextCredentials => true;

    /// <inheritdoc/>
    public bool AnswersErrorChallenge => true;

    /// <summary>The error JSON the server sent, if any.</summary>
    public string? ServerError { get; private set; }

    /// <inheritdoc/>
    public ValueTask<SaslStep> NextStepAsync(byte[]? fromServer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Step(fromServer));
    }

    private SaslStep Step(byte[]? fromServer)
    {
        switch (_step++)
        {
            case 0:
                return new SaslStep(Encoding.UTF8.GetBytes($"user={username}\u0001auth=Bearer {accessToken}\u0001\u0001"), true);
            case 1:
                // The server reports a failure as a JSON challenge and wants an empty answer before its 535.
                ServerError = Encoding.UTF8.GetString(fromServer ?? []);
                return new SaslStep([], true);
            default:
                throw new SaslException(SaslErrorReason.UnexpectedStep, "XOAUTH2 has a single step");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
