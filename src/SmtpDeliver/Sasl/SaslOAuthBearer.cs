using System.Globalization;
using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// OAUTHBEARER (RFC 7628): gs2 header "n,a=user," then "host=… ^A port=… ^A auth=Bearer token ^A ^A" as
/// initial response; an error challenge is answered with %x01. The token is a bearer credential: use only over TLS.
/// </summary>
public sealed class SaslOAuthBearer(string username, string accessToken, string host, int port) : ISaslClient
{
    private int _step;

    /// <inheritdoc/>
    public string Name => "OAUTHBEARER";

    /// <inheritdoc/>
    public bool SendsCleartextCredentials => true;

    /// <inheritdoc/>
    public bool AnswersErrorChallenge => true;

    /// <inheritdoc/>
    public ValueTask<SaslStep> NextStepAsync(byte[]? fromServer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Step());
    }

    private SaslStep Step() => _step++ switch
    {
        0 => new SaslStep(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"n,a={SaslScram.EscapeName(username)},\u0001host={host}\u0001port={port}\u0001auth=Bearer {accessToken}\u0001\u0001")), true),
        // RFC 7628 3.2.3: an error challenge is answered with a lone %x01, then the server fails the exchange.
        1 => new SaslStep([0x01], true),
        _ => throw new SaslException(SaslErrorReason.UnexpectedStep, "OAUTHBEARER has a single step"),
    };

    /// <inheritdoc/>
    public override string ToString() => Name;
}
