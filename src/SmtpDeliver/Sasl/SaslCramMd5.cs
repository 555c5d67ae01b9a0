using System.Security.Cryptography;
using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// CRAM-MD5 (RFC 2195): the server sends a challenge "&lt;unique.timestamp@host&gt;", the client answers
/// "username hex(HMAC-MD5(password, challenge))". The password is not sent, but a listener can try
/// passwords offline against the answer; prefer SCRAM.
/// </summary>
public sealed class SaslCramMd5 : ISaslClient
{
    private readonly string _username;
    private readonly byte[] _password;
    private int _step;

    /// <summary>A CRAM-MD5 client; the password is prepared as a PRECIS OpaqueString (RFC 8265) when valid.</summary>
    public SaslCramMd5(string username, string password)
    {
        _username = username;
        _password = Encoding.UTF8.GetBytes(OpaqueString.TryPrepare(password, out var prepared) ? prepared : password);
    }

    /// <inheritdoc/>
    public string Name => "CRAM-MD5";

    /// <inheritdoc/>
    public bool SendsCleartextCredentials => false;

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
                return new SaslStep(null, false);
            case 1:
                var challenge = fromServer ?? [];
                CheckChallenge(Encoding.ASCII.GetString(challenge));
                // HMAC hashes a key longer than its block size first (RFC 2104 2), as RFC 2195 requires.
#pragma warning disable CA5351 // MD5 is what the mechanism is defined with.
                var digest = HMACMD5.HashData(_password, challenge);
#pragma warning restore CA5351
                return new SaslStep(Encoding.UTF8.GetBytes(_username + " " + Convert.ToHexStringLower(digest)), true);
            default:
                throw new SaslException(SaslErrorReason.UnexpectedStep, "CRAM-MD5 has two steps");
        }
    }

    // RFC 2195 2: the challenge has the form of a msg-id (RFC 822): "<" local "@" domain ">" with a "." in it.
    private static void CheckChallenge(string c)
    {
        if (c.Length < 2 || c[0] != '<' || c[^1] != '>')
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "cram-md5 challenge is not enclosed in angle brackets");
        }
        var inner = c[1..^1];
        var dot = inner.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "cram-md5 challenge lacks a non-empty part before a dot");
        }
        var at = inner.IndexOf('@', dot + 1);
        if (at < 0 || at == dot + 1 || at == inner.Length - 1)
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "cram-md5 challenge lacks non-empty parts around '@'");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
